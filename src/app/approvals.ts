import { parseCommand } from '../../commands/parse.js';
import { approvalDecisionCard, approvalNoticeCard } from '../../cards/approval-card.js';
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

/** How long the answer to a refused press waits for the decision's own card to be queued ahead of it. */
export const ANNOUNCE_WAIT_MS = 10_000;

/** The decision card of a closed request, once per request (retries of the deciding press do not repeat it). */
async function announceOutcome(rec: ApprovalRecord, deps: AppDeps, problem?: string): Promise<void> {
  const where = threadOf(rec);
  if (where) await say(deps, where, approvalDecisionCard(rec, problem), { dedupeKey: `ad-${rec.id}` });
  await deps.approvals.announce(rec.id);
}

/** Closes a request whose time is up, tells its thread, and audits it. No-op when it is no longer pending. */
async function closeExpired(rec: ApprovalRecord, deps: AppDeps): Promise<void> {
  const closed = await deps.approvals.close(rec.id, 'expired', undefined, deps.clock.now());
  if (!closed) return;
  await deps.audit.append({ at: deps.clock.now(), type: 'approval-closed', actor: 'medic', env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `expired (due ${new Date(rec.expiresAt).toISOString()})` });
  await announceOutcome(closed, deps);
}

/**
 * The winner's part: queue the job, then the decision card, then mark it told (answers to other presses wait for
 * that). Idempotent, so a retry of the winning press finishes what a crash interrupted.
 */
async function finishApproved(rec: ApprovalRecord, plan: JobPlan, deps: AppDeps): Promise<void> {
  await runApproved(rec, plan, deps);
  await announceOutcome(rec, deps);
}

/**
 * A press of Approve or Reject. Checks happen in this order: the approval exists, the card is current (hash),
 * still pending and not expired, the presser's role now, the plan still resolves the same; then the atomic decision
 * in Redis (first wins). Every refusal is audited (`approval-refused`, with the reason), answered in the thread and
 * changes nothing. A refusal that follows a decision (a late or losing press) is answered only once the decision
 * card is queued, so the thread reads in the order things happened.
 */
export async function decideApproval(
  press: { approvalId: string; hash: string; decision: 'approve' | 'reject'; note?: string; person: PersonRef; replyTo: ReplyTo; sourceId?: string },
  deps: AppDeps,
): Promise<void> {
  const email = press.person.email;
  const rec = await deps.approvals.get(press.approvalId);
  const where = rec ? (threadOf(rec) ?? press.replyTo) : press.replyTo;
  const notice = (icon: string, msg: string) => say(deps, where, approvalNoticeCard(icon, msg));
  const refuse = async (reason: string, icon: string, msg: string, opts: { afterOutcome?: boolean } = {}): Promise<void> => {
    await deps.audit.append({ at: deps.clock.now(), type: 'approval-refused', actor: email, env: rec?.env, approvalId: press.approvalId, jobId: rec?.jobId, roomId: press.replyTo.roomId, detail: `${press.decision}: ${reason}` });
    if (opts.afterOutcome) await deps.approvals.awaitAnnouncement(press.approvalId, ANNOUNCE_WAIT_MS, deps.clock.now());
    await notice(icon, msg);
  };
  const closedBy = (r: ApprovalRecord) => `${r.status}${r.decidedBy ? ` by ${r.decidedBy}` : ''}`;

  if (!rec) return refuse('unknown approval', '❔', `I have no approval \`${press.approvalId}\`. It may be older than 30 days.`);
  if (press.hash !== rec.hash) {
    return refuse(`stale or altered card (hash ${press.hash.slice(0, 12)})`, '♻️', `${email}: that card is out of date; use the latest approval card in this thread.`);
  }
  if (rec.status !== 'pending') {
    // The deciding press itself, delivered again after a failure part-way: finish its work instead of refusing it.
    if (press.sourceId && rec.decidedVia === press.sourceId) {
      if (rec.status !== 'approved') return announceOutcome(rec, deps);
      return finishApproved(rec, { type: 'job', request: rec.data.request, risk: rec.risk, env: rec.data.env, targets: rec.data.targets, summary: rec.commandText }, deps);
    }
    const late = rec.status === 'expired' ? `after expiry (expired ${new Date(rec.decidedAt ?? rec.expiresAt).toISOString()})` : `after the decision (already ${closedBy(rec)})`;
    return refuse(late, 'ℹ️', `${email}: this request was already ${closedBy(rec)}. Nothing changed.`, { afterOutcome: true });
  }
  const expiredMsg = `${email}: this approval expired at ${new Date(rec.expiresAt).toISOString()}. Nothing ran; ask again if it is still needed.`;
  if (deps.clock.now() >= rec.expiresAt) {
    await closeExpired(rec, deps);
    return refuse(`after expiry (${new Date(rec.expiresAt).toISOString()})`, '⌛', expiredMsg, { afterOutcome: true });
  }
  const role = roleOf(deps.config, email, rec.env);
  if (!hasRole(role, rec.approverRole)) {
    const holders = holdersOf(deps.config, rec.approverRole, rec.env).filter((h) => h !== rec.requester);
    return refuse(
      `no role (needs ${rec.approverRole}${rec.env ? ` in ${rec.env}` : ''}, has ${role ?? 'none'})`,
      '🔒',
      `${email} cannot decide this: it needs the ${rec.approverRole} role${rec.env ? ` in ${rec.env}` : ''} (you have ${role ?? 'none'}). People who can: ${holders.join(', ') || 'nobody yet'}.`,
    );
  }
  if (press.decision === 'reject' && !press.note?.trim()) {
    return refuse('no reason given', '✍️', `${email}: say why in the card's reason box, then press Reject again.`);
  }
  let plan: JobPlan | undefined;
  if (press.decision === 'approve') {
    const r = replan(rec, deps);
    if (!r.plan || planHash(r.plan) !== rec.hash) {
      const problem = r.problem ?? 'the targets resolve differently now than when this was asked';
      const closed = await deps.approvals.close(rec.id, 'superseded', email, deps.clock.now());
      if (!closed) {
        const now = await deps.approvals.get(rec.id);
        return refuse(`lost the race (${now ? closedBy(now) : 'closed'} a moment before)`, 'ℹ️', `${email}: this request was decided a moment ago${now ? ` (${closedBy(now)})` : ''}. Nothing changed.`, { afterOutcome: true });
      }
      await deps.audit.append({ at: deps.clock.now(), type: 'approval-closed', actor: email, env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `superseded: ${problem}` });
      await announceOutcome(closed, deps, problem);
      if (r.plan && where) {
        await submitJob({ sourceId: `${rec.id}:replan:${deps.clock.now()}`, plan: r.plan, actor: rec.data.actor, replyTo: where, origin: rec.commandText, reason: rec.reason, mode: 'approval' }, deps);
      }
      return;
    }
    plan = r.plan;
  }
  const note = press.note?.trim();
  const { outcome, record } = await deps.approvals.decide(rec.id, { by: email, decision: press.decision, now: deps.clock.now(), note, via: press.sourceId });
  const decided = () => deps.audit.append({ at: deps.clock.now(), type: 'approval-decision', actor: email, env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `${press.decision}: ${outcome}${note ? ` (${note})` : ''}` });
  switch (outcome) {
    case 'approved':
      await decided();
      return finishApproved(record ?? { ...rec, status: 'approved', decidedBy: email, approvals: [...rec.approvals, email] }, plan!, deps);
    case 'recorded':
      await decided();
      return notice('☑️', `${email} approved (${record?.approvals.length ?? 1} of ${rec.needed}). One more ${rec.approverRole}, not ${[rec.requester, ...(record?.approvals ?? [])].join(' or ')}, must approve.`);
    case 'rejected':
      await decided();
      return announceOutcome(record ?? { ...rec, status: 'rejected', decidedBy: email, decisionNote: note }, deps);
    case 'self':
      return refuse('self-approval (the requester cannot approve)', '🙅', `${email}: you asked for this, so someone else must approve it.`);
    case 'duplicate':
      return refuse('duplicate (already approved by this person)', '☑️', `${email}: you already approved this; another approver is needed.`);
    case 'expired':
      await closeExpired(rec, deps);
      return refuse(`after expiry (${new Date(rec.expiresAt).toISOString()})`, '⌛', expiredMsg, { afterOutcome: true });
    case 'not-pending':
      return refuse(
        `lost the race (${record ? closedBy(record) : 'closed'} a moment before)`,
        'ℹ️',
        `${email}: someone decided this a moment before you (${record ? closedBy(record) : 'closed'}). Nothing changed.`,
        { afterOutcome: true },
      );
    case 'missing':
      return refuse('approval vanished', '❔', `I have no approval \`${rec.id}\` any more.`);
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
  await closeExpired(rec, deps);
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
      if (threadOf(rec)) await announceOutcome(closed, deps);
      else {
        await say(deps, replyTo, approvalDecisionCard(closed));
        await deps.approvals.announce(rec.id);
      }
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
