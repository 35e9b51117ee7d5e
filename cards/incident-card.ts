import type { Alert, AlertSeverity } from '../src/core/alert.js';
import { adaptiveCard, clip, facts, fallbackText, heading, openUrl, plain, severityLine, text, title, type CardMessage, type Severity } from './card-kit.js';

/**
 * The incident thread: its first card (what fired, where, and what Medic does about it), one follow-up per batch
 * of alerts that joined, resolutions, and notes when a route changes mode (breaker, budget).
 */

/** One line of "what Medic is doing": a job it started or asks approval for, or why it could not. */
export interface IncidentAction {
  text: string;
  state: 'running' | 'approval' | 'skipped' | 'notify';
  note?: string;
}

const SEVERITY: Record<AlertSeverity, Severity> = { critical: 'critical', warning: 'warn', info: 'info' };
const STATE_ICON: Record<IncidentAction['state'], string> = { running: '🏃', approval: '✋', skipped: '⏭️', notify: '📣' };

function actionLine(a: IncidentAction): string {
  const what =
    a.state === 'running' ? `running \`${a.text}\`` : a.state === 'approval' ? `asking approval to run \`${a.text}\`` : a.state === 'skipped' ? `not running \`${a.text}\`` : a.text;
  return `${STATE_ICON[a.state]} ${what}${a.note ? ` (${a.note})` : ''}`;
}

export function incidentCard(input: { alert: Alert; route?: string; mode: string; actions: IncidentAction[] }): CardMessage {
  const { alert } = input;
  const heading0 = `${alert.severity === 'critical' ? '🚨' : alert.severity === 'warning' ? '⚠️' : 'ℹ️'} ${plain(clip(alert.title, 200))}`;
  const doing = input.actions.length ? input.actions.map(actionLine) : ['📣 Notifying only: no runbook is routed for this alert.'];
  const place: Array<[string, string]> = [
    ['Severity', alert.severity],
    ['Environment', alert.environment ? plain(alert.environment) : 'unknown (no env tag)'],
    ['Target', alert.target ? plain(alert.target) : '–'],
    ...(alert.service ? ([['Service', plain(alert.service)]] as Array<[string, string]>) : []),
    ['Source', `${alert.source} (${clip(alert.id, 80)})`],
    ['Route', input.route ? `${input.route}, ${input.mode}` : 'none (notify)'],
    ['Started', new Date(alert.startedAt ?? alert.receivedAt).toISOString()],
  ];
  return {
    text: fallbackText(`${heading0}\n${alert.environment ?? ''} ${alert.target ?? ''}\n${doing.join('\n')}`),
    card: adaptiveCard(
      [...title(heading0, 'Incident opened by Medic; diagnoses follow in this thread.'), severityLine(SEVERITY[alert.severity], `${alert.severity} alert from ${alert.source}`), facts(place), heading('What Medic is doing'), ...doing.map((d) => text(d))],
      alert.link && /^https?:\/\//.test(alert.link) ? [openUrl('Open the monitor', alert.link)] : [],
    ),
  };
}

export function incidentFollowUpCard(input: { joined: Array<{ alert: Alert; actions: IncidentAction[] }>; episodes: number; firing: number }): CardMessage {
  const n = input.joined.length;
  const lines = input.joined.slice(0, 20).map(({ alert, actions }) => {
    const doing = actions.filter((a) => a.state !== 'notify').map(actionLine).join('; ');
    return `• ${plain(clip(alert.title, 120))}${alert.target ? ` on ${alert.target}` : ''} (${alert.severity})${doing ? ` → ${doing}` : ''}`;
  });
  if (n > 20) lines.push(`… and ${n - 20} more`);
  const head = `➕ ${n} more alert${n === 1 ? '' : 's'} joined this incident`;
  return {
    text: fallbackText(`${head}\n${lines.join('\n')}`),
    card: adaptiveCard([...title(head, `${input.episodes} alerts in this incident, ${input.firing} still firing.`), ...lines.map((l) => text(l))]),
  };
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/**
 * A resolution. `durationMs` undefined: the start is unknown (nothing Medic saw gave one), and the card says so
 * rather than a duration. `unseen`: Medic never saw this alert fire, so it belongs to no incident.
 */
export function incidentResolvedCard(input: { title: string; target?: string; durationMs?: number; firing?: number; withdrawn?: number; unseen?: boolean }): CardMessage {
  const what = `${plain(clip(input.title, 150))}${input.target ? ` on ${plain(input.target)}` : ''}`;
  const head = input.durationMs === undefined ? `✅ Resolved: ${what} (start unknown)` : `✅ Resolved after ${formatDuration(input.durationMs)}: ${what}`;
  const firing = input.firing ?? 0;
  const withdrawnCount = input.withdrawn ?? 0;
  const rest = input.unseen
    ? 'Medic has no record of this alert firing, so it belongs to no incident.'
    : firing > 0
      ? `${firing} alert${firing === 1 ? '' : 's'} of this incident still firing.`
      : 'Every alert of this incident is resolved.';
  const withdrawn = withdrawnCount > 0 ? ` ${withdrawnCount} pending approval${withdrawnCount === 1 ? '' : 's'} withdrawn.` : '';
  return { text: fallbackText(`${head}\n${rest}${withdrawn}`), card: adaptiveCard([severityLine('ok', head), text(`${rest}${withdrawn}`, { isSubtle: true })]) };
}

export function routeModeCard(input: { route: string; reason: 'breaker' | 'budget' | 'recovered'; detail: string }): CardMessage {
  const head =
    input.reason === 'recovered'
      ? `🔁 Route ${input.route} is back to automatic remediation`
      : `🛑 Route ${input.route} switched to approval mode: ${input.reason === 'breaker' ? 'circuit breaker open' : 'remediation budget spent'}`;
  return { text: fallbackText(`${head}\n${input.detail}`), card: adaptiveCard([severityLine(input.reason === 'recovered' ? 'ok' : 'warn', head), text(input.detail)]) };
}

/** A short note in the thread (a runbook the route could not start, and why). */
export function incidentNoteCard(head: string, detail: string): CardMessage {
  return { text: fallbackText(`${head}: ${detail}`), card: adaptiveCard([severityLine('warn', head), text(detail)]) };
}
