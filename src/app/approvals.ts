import { parseCommand } from '../../commands/parse.js';
import { approvalNoticeCard } from '../../cards/approval-card.js';
import type { ApprovalRecord } from '../core/approval.js';
import { UserError } from '../core/errors.js';
import { hasRole, type ReplyTo } from '../core/identity.js';
import type { PersonRef } from '../core/inbound.js';
import { holdersOf, roleOf } from './access.js';
import type { AppDeps } from './app-deps.js';
import { say } from './say.js';
import { planHash, runApproved, submitJob, type JobPlan } from './submit-job.js';

function threadOf(rec: ApprovalRecord): ReplyTo | undefined {
  return rec.data.replyTo;
}

/** Plans the approved text again against today's inventory: targets may have changed since the request. */
function replan(rec: ApprovalRecord, deps: AppDeps): { plan?: JobPlan; problem?: string } {
  try {
    const { command, input } = parseCommand(rec.commandText, deps.commands);
    const plan = command.plan({ ...input, inventory: deps.config.inventory, receivedAt: rec.createdAt });
    if (plan.type !== 'job') return { problem: 'the command no longer starts a job' };
    // Keep what the original request carried that a re-plan cannot know (timestamps).
    return { plan };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/**
 * A press of Approve or Reject. Checks happen in this order: the approval exists, the card is current (hash),
 * the presser's role now, the plan still resolves the same; then the atomic decision in Redis (first wins).
 * Every refusal is answered in the thread and changes nothing.
 */
export async function decideApproval(
  press: { approvalId: string; hash: string; decision: 'approve' | 'reject'; note?: string; person: PersonRef; replyTo: ReplyTo },
  deps: AppDeps,
): Promise<void> {
  const email = press.person.email;
  const rec = await deps.approvals.get(press.approvalId);
  const where = rec ? (threadOf(rec) ?? press.replyTo) : press.replyTo;
  const notice = (icon: string, msg: string) => say(deps, where, approvalNoticeCard(icon, msg));
  if (!rec) return notice('❔', `I have no approval \`${press.approvalId}\`. It may be older than 30 days.`);
  if (press.hash !== rec.hash) return notice('♻️', `${email}: that card is out of date; use the latest approval card in this thread.`);
  if (rec.status !== 'pending') {
    return notice('ℹ️', `${email}: this request was already ${rec.status}${rec.decidedBy ? ` by ${rec.decidedBy}` : ''}. Nothing changed.`);
  }
  const role = roleOf(deps.config, email, rec.env);
  if (!hasRole(role, rec.approverRole)) {
    const holders = holdersOf(deps.config, rec.approverRole, rec.env).filter((h) => h !== rec.requester);
    return notice('🔒', `${email} cannot decide this: it needs the ${rec.approverRole} role${rec.env ? ` in ${rec.env}` : ''} (you have ${role ?? 'none'}). People who can: ${holders.join(', ') || 'nobody yet'}.`);
  }
  if (press.decision === 'reject' && !press.note?.trim()) {
    return notice('✍️', `${email}: say why in the card's reason box, then press Reject again.`);
  }
  let plan: JobPlan | undefined;
  if (press.decision === 'approve') {
    const r = replan(rec, deps);
    if (!r.plan || planHash(r.plan) !== rec.hash) {
      const closed = await deps.approvals.close(rec.id, 'superseded', email, deps.clock.now());
      if (!closed) return notice('ℹ️', `${email}: this request was decided a moment ago. Nothing changed.`);
      await deps.audit.append({ at: deps.clock.now(), type: 'approval-closed', actor: email, env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `superseded: ${r.problem ?? 'targets resolve differently now'}` });
      await notice('♻️', `Not run: ${r.problem ?? 'the targets resolve differently now than when this was asked'}. A new approval is needed.`);
      if (r.plan && where) {
        await submitJob({ sourceId: `${rec.id}:replan:${deps.clock.now()}`, plan: r.plan, actor: rec.data.actor, replyTo: where, origin: rec.commandText, reason: rec.reason, mode: 'approval' }, deps);
      }
      return;
    }
    plan = r.plan;
  }
  const { outcome, record } = await deps.approvals.decide(rec.id, { by: email, decision: press.decision, now: deps.clock.now(), note: press.note?.trim() });
  await deps.audit.append({ at: deps.clock.now(), type: 'approval-decision', actor: email, env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `${press.decision}: ${outcome}${press.note ? ` (${press.note})` : ''}` });
  switch (outcome) {
    case 'approved':
      await runApproved(record ?? rec, plan!, deps);
      return notice('✅', `Approved by ${(record?.approvals ?? [email]).join(' and ')}. Running job \`${rec.jobId}\`; its result follows in this thread.`);
    case 'recorded':
      return notice('☑️', `${email} approved (${record?.approvals.length ?? 1} of ${rec.needed}). One more ${rec.approverRole}, not ${[rec.requester, ...(record?.approvals ?? [])].join(' or ')}, must approve.`);
    case 'rejected':
      return notice('🚫', `Rejected by ${email}: ${press.note}. Nothing ran.`);
    case 'self':
      return notice('🙅', `${email}: you asked for this, so someone else must approve it.`);
    case 'duplicate':
      return notice('☑️', `${email}: you already approved this; another approver is needed.`);
    case 'expired':
      return notice('⌛', `${email}: this approval expired at ${new Date(rec.expiresAt).toISOString()}. Nothing ran; ask again if it is still needed.`);
    case 'not-pending':
      return notice('ℹ️', `${email}: someone decided this a moment before you (${record?.status ?? 'closed'}${record?.decidedBy ? ` by ${record.decidedBy}` : ''}). Nothing changed.`);
    case 'missing':
      return notice('❔', `I have no approval \`${rec.id}\` any more.`);
  }
}

/** Fired by the scheduler at the expiry time; tells the thread (and the requester) when it actually expired. */
export async function expireApproval(approvalId: string, deps: AppDeps): Promise<void> {
  const rec = await deps.approvals.get(approvalId);
  if (!rec || rec.status !== 'pending') return;
  if (deps.clock.now() < rec.expiresAt) {
    // Fired early (clock skew between hosts): try again at the real expiry.
    await deps.scheduler.expireApprovalAt(approvalId, rec.expiresAt);
    return;
  }
  const closed = await deps.approvals.close(approvalId, 'expired', undefined, deps.clock.now());
  if (!closed) return;
  await deps.audit.append({ at: deps.clock.now(), type: 'approval-closed', actor: 'medic', env: rec.env, approvalId, jobId: rec.jobId, detail: 'expired' });
  const where = threadOf(rec);
  if (where) await say(deps, where, approvalNoticeCard('⌛', `${rec.requester}: nobody approved "${rec.commandText}" in time; it expired and nothing ran. Ask again if it is still needed.`));
}

/** `cancel <job>`: withdraws a pending approval, or stops a queued or running job. Requester or admin only. */
export async function cancelJob(jobId: string, person: PersonRef, replyTo: ReplyTo, deps: AppDeps): Promise<void> {
  const email = person.email;
  const isAdmin = hasRole(roleOf(deps.config, email), 'admin');
  const rec = await deps.approvals.findByJob(jobId);
  if (rec && rec.status === 'pending') {
    if (rec.requester !== email && !isAdmin) throw new UserError(`Only ${rec.requester} (who asked) or an admin can cancel \`${jobId}\`.`);
    const closed = await deps.approvals.close(rec.id, 'cancelled', email, deps.clock.now());
    if (closed) {
      await deps.audit.append({ at: deps.clock.now(), type: 'cancel', actor: email, env: rec.env, jobId, approvalId: rec.id, detail: 'approval withdrawn' });
      await say(deps, threadOf(rec) ?? replyTo, approvalNoticeCard('🛑', `${email} withdrew the request "${rec.commandText}". Nothing ran.`));
      if (threadOf(rec)?.parentId !== replyTo.parentId) await say(deps, replyTo, approvalNoticeCard('🛑', `Withdrawn: approval for \`${jobId}\`.`));
      return;
    }
  }
  const view = await deps.runbooks.getJob(jobId);
  if (!view) throw new UserError(`I have no job \`${jobId}\`.`, 'Type `jobs` to list the recent ones.');
  const requester = view.actor.type === 'person' ? view.actor.email : undefined;
  if (requester !== email && !isAdmin) throw new UserError(`Only ${requester ?? 'the route that started it'} or an admin can cancel \`${jobId}\`.`);
  const r = await deps.jobs.cancel(jobId, email);
  await deps.audit.append({ at: deps.clock.now(), type: 'cancel', actor: email, jobId, detail: r });
  const msg = { removed: `Cancelled \`${jobId}\` before it started.`, signalled: `Stopping \`${jobId}\`: the running job was told to stop (SSM commands are cancelled).`, finished: `\`${jobId}\` has already finished.`, 'not-found': `I have no job \`${jobId}\`.` }[r];
  await say(deps, replyTo, approvalNoticeCard(r === 'finished' || r === 'not-found' ? 'ℹ️' : '🛑', msg));
}

/** Pending approvals this person may decide (not their own, role held in the environment). */
export async function approvalsFor(email: string, deps: AppDeps): Promise<ApprovalRecord[]> {
  const all = await deps.approvals.listPending();
  return all.filter((r) => r.requester !== email && !r.approvals.includes(email) && hasRole(roleOf(deps.config, email, r.env), r.approverRole) && r.expiresAt > deps.clock.now());
}
