import { createHash } from 'node:crypto';
import type { Command, CommandPlan } from '../../commands/command.js';
import { approvalCard } from '../../cards/approval-card.js';
import { acceptedCard } from '../../cards/job-card.js';
import type { ApprovalRecord, BudgetRule } from '../core/approval.js';
import { PermissionError, UserError } from '../core/errors.js';
import { actorLabel, hasRole, type Actor, type ReplyTo, type Role } from '../core/identity.js';
import { isProd } from '../core/inventory.js';
import type { RequestPreview } from '../core/runbook.js';
import { holdersOf, roleOf, spaceAllows } from './access.js';
import type { AppDeps } from './app-deps.js';
import { jobIdFor } from './job-id.js';
import { say } from './say.js';

export type JobPlan = Extract<CommandPlan, { type: 'job' }>;

/** One request to run something, from chat, a card button or an alert route. */
export interface SubmitRequest {
  /** Stable id of the source event (Webex message/action id, alert fingerprint + cycle): the job id derives from it. */
  sourceId: string;
  plan: JobPlan;
  actor: Actor;
  replyTo?: ReplyTo;
  /** The text (or alert title) that asked, for `job <id>` and audit. */
  origin: string;
  /** The command, for its role; absent for alert routes (the route's configuration is the grant). */
  command?: Command;
  /** The reason given with `because ...`. */
  reason?: string;
  /** Skip the "working on it" note (instant jobs, alert routes that post their own). */
  quiet?: boolean;
  /** Alert routes: `run` now, or ask for an `approval` first whatever the risk (remediate-with-approval, breaker open). */
  mode?: 'run' | 'approval';
}

export type SubmitOutcome = { status: 'enqueued'; jobId: string; created: boolean } | { status: 'approval'; approvalId: string; created: boolean };

/** Job kinds that answer at once; others get a "working on it" note first. */
const INSTANT_KINDS = new Set(['system.ping']);

function actorId(actor: Actor): string {
  return actor.type === 'person' ? actor.email : `service:${actor.name}`;
}

/** Canonical JSON (sorted keys), so the same resolved job always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What an approval binds to: the request, its environment and its resolved targets. */
export function planHash(plan: JobPlan): string {
  return createHash('sha256').update(canonical({ request: plan.request, env: plan.env ?? null, targets: plan.targets ?? [] })).digest('hex').slice(0, 32);
}

/** Budget rules that apply to a plan, from `budgets:` in the config. */
export function budgetRules(plan: JobPlan, deps: AppDeps): BudgetRule[] {
  const kind = plan.request.kind;
  return deps.policy.budgets
    .filter((b) => b.kind === kind)
    .flatMap((b) => {
      const windowMs = b.windowMinutes * 60_000;
      const span = b.windowMinutes % 60 === 0 ? `${b.windowMinutes / 60} h` : `${b.windowMinutes} min`;
      if (b.per === 'env') return plan.env ? [{ key: `${kind}:env:${plan.env}`, max: b.max, windowMs, label: `${b.max} ${kind} per environment per ${span}` }] : [];
      return (plan.targets ?? []).map((t) => ({ key: `${kind}:target:${plan.env ?? '-'}:${t}`, max: b.max, windowMs, label: `${b.max} ${kind} per target per ${span}` }));
    });
}

/**
 * The one path every request takes: space and role checks, budgets, approvals, audit, then the queue.
 * Throws UserError/PermissionError for refusals; the caller turns them into cards.
 */
export async function submitJob(req: SubmitRequest, deps: AppDeps): Promise<SubmitOutcome> {
  const { plan } = req;
  const who = actorId(req.actor);
  const base = { actor: who, env: plan.env, roomId: req.replyTo?.roomId };
  await deps.audit.append({ ...base, at: deps.clock.now(), type: 'request', detail: req.origin.slice(0, 300) });
  let preview: RequestPreview | undefined;
  try {
    if (req.actor.type === 'person') authorize(req.actor.email, req.command, plan, req.replyTo, deps);
    // Before anyone is asked to approve: is there anything to act on (a `db kill` of a pid that does not exist
    // is refused here), and what is it, in words for the approval card.
    preview = await deps.preflight?.(plan.request);
  } catch (e) {
    await deps.audit.append({ ...base, at: deps.clock.now(), type: 'refused', detail: (e as Error).message });
    throw e;
  }
  const jobId = jobIdFor(req.sourceId);
  const rules = budgetRules(plan, deps);
  if (plan.risk !== 'read' || req.mode === 'approval') {
    return requestApproval(req, deps, jobId, undefined, [], preview);
  }
  if (rules.length) {
    const spent = await deps.budgets.consume(rules, { jobId, at: deps.clock.now() });
    if (!spent.ok) {
      return requestApproval(req, deps, jobId, `Budget spent: ${spent.rule.label}. A person must approve this run.`, spent.recent, preview);
    }
  }
  return enqueue(req, deps, jobId);
}

async function enqueue(req: SubmitRequest, deps: AppDeps, jobId: string): Promise<SubmitOutcome> {
  const { plan } = req;
  const data = { request: plan.request, actor: req.actor, replyTo: req.replyTo, risk: plan.risk, origin: req.origin.slice(0, 500), env: plan.env, targets: plan.targets };
  const { created } = plan.children?.length
    ? await deps.runbooks.enqueueFlow(
        jobId,
        data,
        // Children answer nobody (no replyTo): the parent posts the one summary.
        plan.children.map((c) => ({ jobId: `${jobId}-${c.key}`, data: { ...data, request: c.request, targets: c.targets, replyTo: undefined } })),
      )
    : await deps.runbooks.enqueueRunbook(jobId, data);
  if (created) await deps.audit.append({ at: deps.clock.now(), type: 'job-enqueued', actor: actorId(req.actor), env: plan.env, jobId, roomId: req.replyTo?.roomId, detail: plan.summary });
  deps.log.info({ jobId, kind: plan.request.kind, created }, 'runbook job enqueued');
  if (created && req.replyTo && !req.quiet && !INSTANT_KINDS.has(plan.request.kind)) await say(deps, req.replyTo, acceptedCard(jobId, plan.summary));
  return { status: 'enqueued', jobId, created };
}

/** Posts the approval card in the thread and schedules the expiry. Idempotent per source event. */
async function requestApproval(req: SubmitRequest, deps: AppDeps, jobId: string, why?: string, recent: Array<{ jobId: string; at: number }> = [], preview?: RequestPreview): Promise<SubmitOutcome> {
  const { plan } = req;
  const approvalId = jobIdFor(req.sourceId, 'ap');
  if (await deps.approvals.get(approvalId)) return { status: 'approval', approvalId, created: false };
  if (!req.replyTo) throw new UserError('This action needs an approval, and approvals happen in a Webex space.', 'Ask for it in a space, where a second person can approve.');
  const env = plan.env ? deps.config.inventory[plan.env] : undefined;
  const prod = env ? isProd(env) : false;
  const now = deps.clock.now();
  const rec: ApprovalRecord = {
    id: approvalId,
    jobId,
    data: { request: plan.request, actor: req.actor, replyTo: req.replyTo, risk: plan.risk, origin: req.origin.slice(0, 500), env: plan.env, targets: plan.targets },
    hash: planHash(plan),
    requester: actorId(req.actor),
    risk: plan.risk,
    env: plan.env,
    commandText: req.origin.slice(0, 500),
    approverRole: plan.risk === 'destructive' ? 'approver' : 'operator',
    needed: plan.risk === 'destructive' && prod ? deps.policy.prodDestructiveApprovers : 1,
    approvals: [],
    status: 'pending',
    createdAt: now,
    expiresAt: now + deps.policy.expiryMinutes * 60_000,
    ...(req.reason ? { reason: req.reason } : {}),
    ...(why ? { why } : {}),
    ...(preview ? { preview } : {}),
  };
  await deps.approvals.create(rec);
  await deps.scheduler.expireApprovalAt(approvalId, rec.expiresAt);
  await deps.audit.append({ at: now, type: 'approval-requested', actor: rec.requester, env: plan.env, jobId, approvalId, roomId: req.replyTo.roomId, detail: `${plan.risk}: ${rec.commandText}${why ? ` (${why})` : ''}` });
  await say(deps, req.replyTo, approvalCard(rec, recent));
  deps.log.info({ approvalId, jobId, risk: plan.risk, requester: actorLabel(req.actor) }, 'approval requested');
  return { status: 'approval', approvalId, created: true };
}

/** Runs an approved job: records it in the budgets (a person decided, so a spent budget does not stop it). */
export async function runApproved(rec: ApprovalRecord, plan: JobPlan, deps: AppDeps): Promise<void> {
  const rules = budgetRules(plan, deps);
  if (rules.length) await deps.budgets.consume(rules.map((r) => ({ ...r, max: Number.MAX_SAFE_INTEGER })), { jobId: rec.jobId, at: deps.clock.now() });
  const { created } = await deps.runbooks.enqueueRunbook(rec.jobId, rec.data);
  if (created) await deps.audit.append({ at: deps.clock.now(), type: 'job-enqueued', actor: rec.decidedBy ?? '', env: rec.env, jobId: rec.jobId, approvalId: rec.id, roomId: rec.data.replyTo?.roomId, detail: `approved by ${rec.approvals.join(', ')}` });
}

/** Role and space checks for a person. Throws PermissionError naming the role and who holds it. */
export function authorize(email: string, command: Command | undefined, plan: JobPlan, replyTo: ReplyTo | undefined, deps: Pick<AppDeps, 'config'>): void {
  const cfg = deps.config;
  if (plan.env && replyTo && !spaceAllows(cfg, replyTo.roomId, plan.env)) {
    throw new UserError(`This space is not set up for \`${plan.env}\`.`, 'Ask in a space for that environment, or ask an admin to add it under `spaces:` in the config.');
  }
  const need: Role = command?.minRole ?? 'operator';
  const role = roleOf(cfg, email, plan.env);
  if (!hasRole(role, need)) {
    throw new PermissionError(`\`${command?.name ?? plan.request.kind}\`${plan.env ? ` in ${plan.env}` : ''} needs the ${need} role; you have ${role ?? 'no role'}${plan.env ? ' there' : ''}.`, holdersOf(cfg, need, plan.env));
  }
}
