import type { ApprovalRecord } from '../src/core/approval.js';
import { actorLabel } from '../src/core/identity.js';
import { adaptiveCard, clip, facts, heading, mono, text, title, type CardElement, type CardMessage } from './card-kit.js';

const RISK_ICON = { read: '🔎', change: '🟠', destructive: '🔴' } as const;

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Exactly what will run, who asked and why, with Approve and Reject. The buttons carry the plan's hash. */
export function approvalCard(rec: ApprovalRecord, recentRuns: Array<{ jobId: string; at: number }> = []): CardMessage {
  const { request } = rec.data;
  const { kind, ...params } = request as unknown as { kind: string } & Record<string, unknown>;
  const body: CardElement[] = [
    ...title(`${RISK_ICON[rec.risk]} Approval needed`, clip(rec.commandText, 200)),
    facts([
      ['Asked by', actorLabel(rec.data.actor)],
      ['Reason', rec.reason ? clip(rec.reason, 300) : '(none given: add `because <reason>`)'],
      ['Risk', rec.risk],
      ['Environment', rec.env ?? '–'],
      ['Runs', kind],
      ['Approvers', `${rec.needed} × ${rec.approverRole} or above, not the requester${rec.approvals.length ? ` (so far: ${rec.approvals.join(', ')})` : ''}`],
      ['Expires', when(rec.expiresAt)],
      ['Approval', rec.id],
    ]),
    heading('What will run'),
    mono(clip(JSON.stringify(params, null, 1), 1500)),
  ];
  if (rec.why) body.push(text(`⚠️ ${clip(rec.why, 500)}`, { color: 'Warning' }));
  if (recentRuns.length) {
    body.push(heading('Recent runs in this budget'), mono(recentRuns.slice(0, 10).map((r) => `${when(r.at)}  ${r.jobId}`).join('\n')));
  }
  body.push({ type: 'Input.Text', id: 'note', placeholder: 'Reason (needed to reject)', isMultiline: false, maxLength: 300 });
  return {
    text: `Approval needed for "${clip(rec.commandText, 200)}" (${rec.risk}) asked by ${actorLabel(rec.data.actor)}. Approve or reject in the card.`,
    card: adaptiveCard(body, [
      { type: 'Action.Submit', title: 'Approve', style: 'positive', data: { medic: 'approve', approvalId: rec.id, hash: rec.hash } },
      { type: 'Action.Submit', title: 'Reject', style: 'destructive', data: { medic: 'reject', approvalId: rec.id, hash: rec.hash } },
    ]),
  };
}

/** A one-line outcome in the thread: approved, rejected, expired, refused press. */
export function approvalNoticeCard(icon: string, message: string): CardMessage {
  return { text: `${icon} ${message}`, card: adaptiveCard([text(`${icon} ${clip(message, 1500)}`)]) };
}

export function approvalsListCard(recs: ApprovalRecord[], now: number): CardMessage {
  if (recs.length === 0) return { text: 'Nothing waits for your approval.', card: adaptiveCard([...title('Approvals'), text('Nothing waits for your approval.')]) };
  const body: CardElement[] = [...title('Approvals waiting for you', 'Open the thread of each to approve or reject.')];
  for (const r of recs.slice(0, 15)) {
    body.push(text(`${RISK_ICON[r.risk]} **${clip(r.commandText, 120)}**: ${actorLabel(r.data.actor)}, ${r.env ?? '–'}, expires in ${Math.max(0, Math.round((r.expiresAt - now) / 60000))} min (\`${r.id}\`)`));
  }
  return { text: recs.map((r) => `${r.id} ${r.commandText}`).join('\n'), card: adaptiveCard(body) };
}
