import type { ApprovalRecord } from '../src/core/approval.js';
import { actorLabel } from '../src/core/identity.js';
import { adaptiveCard, clip, facts, heading, mono, plain, text, title, type CardElement, type CardMessage } from './card-kit.js';

const RISK_ICON = { read: '🔎', change: '🟠', destructive: '🔴' } as const;

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Exactly what will run, who asked and why, with Approve and Reject. The buttons carry the plan's hash. */
export function approvalCard(rec: ApprovalRecord, recentRuns: Array<{ jobId: string; at: number }> = []): CardMessage {
  const { request } = rec.data;
  const { kind, ...params } = request as unknown as { kind: string } & Record<string, unknown>;
  const body: CardElement[] = [
    ...title(`${RISK_ICON[rec.risk]} Approval needed`, plain(clip(rec.commandText, 200))),
    facts([
      ['Asked by', actorLabel(rec.data.actor)],
      ['Reason', rec.reason ? plain(clip(rec.reason, 300)) : '(none given: add `because <reason>`)'],
      ['Risk', rec.risk],
      ['Environment', rec.env ?? '–'],
      ['Runs', kind],
      ['Approvers', `${rec.needed} × ${rec.approverRole} or above, not the requester${rec.approvals.length ? ` (so far: ${rec.approvals.join(', ')})` : ''}`],
      ['Expires', when(rec.expiresAt)],
      ['Approval', rec.id],
    ]),
    heading('What will run'),
    // In words when Medic looked the target up before asking (db cancel/kill); the parameters otherwise.
    ...(rec.preview
      ? [facts(rec.preview.facts.map(([k, v]): [string, string] => [k, plain(clip(v, 400))])), ...rec.preview.notes.map((n) => text(plain(clip(n, 500)), { size: 'Small', isSubtle: true }))]
      : [mono(plain(clip(JSON.stringify(params, null, 1), 1500)))]),
  ];
  if (rec.why) body.push(text(`⚠️ ${plain(clip(rec.why, 500))}`, { color: 'Warning' }));
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

type ClosedStatus = Exclude<ApprovalRecord['status'], 'pending'>;

const OUTCOME: Record<ClosedStatus, { icon: string; label: string; color: string }> = {
  approved: { icon: '✅', label: 'Approved', color: 'Good' },
  rejected: { icon: '🚫', label: 'Rejected', color: 'Attention' },
  expired: { icon: '⌛', label: 'Expired', color: 'Warning' },
  cancelled: { icon: '🛑', label: 'Withdrawn', color: 'Warning' },
  superseded: { icon: '♻️', label: 'Not run: needs a new approval', color: 'Warning' },
};

/**
 * The decision on an approval, posted in its thread once the request leaves `pending`: what was asked, the outcome,
 * who decided and when. Webex cannot edit a message that carries a card (its PUT /messages refuses attachments),
 * so this follows the approval card instead of replacing it; it says the old buttons no longer do anything.
 * `problem` is why a superseded request did not run.
 */
export function approvalDecisionCard(rec: ApprovalRecord, problem?: string): CardMessage {
  const status: ClosedStatus = rec.status === 'pending' ? 'expired' : rec.status;
  const o = OUTCOME[status];
  const at = rec.decidedAt !== undefined ? when(rec.decidedAt) : undefined;
  const by = rec.decidedBy || undefined;
  const line = {
    approved: `Approved by ${(rec.approvals.length ? rec.approvals : [by ?? '?']).join(' and ')}. Job \`${rec.jobId}\` is queued; its result follows in this thread.`,
    rejected: `Rejected by ${by ?? '?'}: ${rec.decisionNote ?? '(no reason)'}. Nothing ran.`,
    expired: `${rec.requester}: nobody approved "${clip(rec.commandText, 200)}" in time; it expired and nothing ran. Ask again if it is still needed.`,
    cancelled: `${by ?? 'Medic'} withdrew the request "${clip(rec.commandText, 200)}". Nothing ran.`,
    superseded: `Not run: ${problem ?? 'the targets resolve differently now than when this was asked'}. A new approval is needed.`,
  }[status];
  const pairs: Array<[string, string]> = [
    ['Request', clip(rec.commandText, 200)],
    ['Asked by', actorLabel(rec.data.actor)],
    ['Outcome', o.label],
  ];
  if (status === 'approved') pairs.push(['Approved by', rec.approvals.join(', ') || (by ?? '?')]);
  else if (status === 'rejected') pairs.push(['Rejected by', by ?? '?'], ['Reason', clip(rec.decisionNote ?? '(none)', 300)]);
  else if (status === 'cancelled') pairs.push(['Withdrawn by', by ?? '?']);
  else if (status === 'superseded') pairs.push(['Pressed by', by ?? '?']);
  if (at) pairs.push([status === 'expired' ? 'Expired at' : 'When', at]);
  pairs.push(status === 'approved' ? ['Job', rec.jobId] : ['Ran', 'nothing'], ['Approval', rec.id]);
  return {
    text: `${o.icon} ${line}`,
    card: adaptiveCard([
      ...title(`${o.icon} ${o.label}`, clip(rec.commandText, 200)),
      text(clip(line, 1500), { color: o.color }),
      facts(pairs),
      text('This request is closed: the Approve and Reject buttons on its card no longer change anything.', { isSubtle: true, size: 'Small' }),
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
    body.push(text(`${RISK_ICON[r.risk]} **${plain(clip(r.commandText, 120))}**: ${actorLabel(r.data.actor)}, ${r.env ?? '–'}, expires in ${Math.max(0, Math.round((r.expiresAt - now) / 60000))} min (\`${r.id}\`)`));
  }
  return { text: recs.map((r) => `${r.id} ${r.commandText}`).join('\n'), card: adaptiveCard(body) };
}
