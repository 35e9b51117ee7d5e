import { actorLabel } from '../src/core/identity.js';
import type { JobView } from '../src/core/jobs.js';
import { adaptiveCard, clip, facts, plain, table, text, title, type CardMessage } from './card-kit.js';

const STATE_ICON: Record<JobView['state'], string> = { waiting: '⏳', delayed: '⏸️', active: '🏃', completed: '✅', failed: '❌', unknown: '❔' };

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function duration(v: JobView): string {
  if (!v.startedAt) return '–';
  const end = v.finishedAt ?? Date.now();
  return `${((end - v.startedAt) / 1000).toFixed(1)} s`;
}

export function jobCard(v: JobView, now: number): CardMessage {
  return {
    text: `Job ${v.id}: ${v.state}${v.summary ? `: ${v.summary}` : ''}`,
    card: adaptiveCard([
      ...title(`${STATE_ICON[v.state]} Job ${v.id}`, `${v.kind}: ${v.state}`),
      facts([
        ['Asked', plain(clip(v.origin, 200))],
        ['By', actorLabel(v.actor)],
        ['Created', `${new Date(v.createdAt).toISOString()} (${ago(v.createdAt, now)})`],
        ['Started', v.startedAt ? new Date(v.startedAt).toISOString() : 'not yet'],
        ['Took', duration(v)],
        ['Attempts', String(v.attempts)],
        ...(v.summary ? ([['Result', plain(clip(v.summary, 500))]] as Array<[string, string]>) : []),
        ...(v.error ? ([['Error', plain(clip(v.error, 500))]] as Array<[string, string]>) : []),
      ]),
    ]),
  };
}

export function jobsCard(views: JobView[], now: number): CardMessage {
  if (views.length === 0) {
    return { text: 'No jobs in this space yet.', card: adaptiveCard([...title('Jobs in this space'), text('No jobs yet. Try `ping`.')]) };
  }
  return {
    text: views.map((v) => `${v.id} ${v.state} ${v.origin}`).join('\n'),
    card: adaptiveCard([
      ...title('Jobs in this space', `The last ${views.length}, newest first. \`job <id>\` shows one.`),
      table(
        ['Job', 'State', 'Asked', 'When'],
        views.map((v) => [v.id, `${STATE_ICON[v.state]} ${v.state}`, clip(v.origin, 40), ago(v.createdAt, now)]),
        // Fixed shares, the same in every row: a job id (14 characters) and a state fit on one line in a chat pane.
        [4, 3, 6, 3],
      ),
    ]),
  };
}

/** Told to the requester when a job is accepted but will take a while. */
export function acceptedCard(jobId: string, what: string, note?: string): CardMessage {
  return {
    text: `Working on it: ${what} (job ${jobId}).`,
    card: adaptiveCard([text(`⏳ Working on **${clip(what, 200)}**: job \`${jobId}\`.${note ? ` ${note}` : ''}`)]),
  };
}
