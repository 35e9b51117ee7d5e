import type { Command, CommandPlan } from '../../commands/command.js';
import { acceptedCard } from '../../cards/job-card.js';
import { PermissionError, UserError } from '../core/errors.js';
import { hasRole, type Actor, type ReplyTo, type Role } from '../core/identity.js';
import { holdersOf, roleOf, spaceAllows } from './access.js';
import type { AppDeps } from './app-deps.js';
import { say } from './say.js';
import { jobIdFor } from './job-id.js';

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

export type SubmitOutcome = { status: 'enqueued'; jobId: string; created: boolean } | { status: 'approval'; approvalId: string };

/** Job kinds that answer at once; others get a "working on it" note first. */
const INSTANT_KINDS = new Set(['system.ping']);

/**
 * The one path every request takes: space and role checks, then the queue. Throws UserError/PermissionError
 * for refusals; the caller turns them into cards.
 */
export async function submitJob(req: SubmitRequest, deps: AppDeps): Promise<SubmitOutcome> {
  const { plan } = req;
  if (req.actor.type === 'person') authorize(req.actor.email, req.command, plan, req.replyTo, deps);
  const jobId = jobIdFor(req.sourceId);
  const { created } = await deps.runbooks.enqueueRunbook(jobId, {
    request: plan.request,
    actor: req.actor,
    replyTo: req.replyTo,
    risk: plan.risk,
    origin: req.origin.slice(0, 500),
    env: plan.env,
  });
  deps.log.info({ jobId, kind: plan.request.kind, created, actor: req.actor }, 'runbook job enqueued');
  if (created && req.replyTo && !req.quiet && !INSTANT_KINDS.has(plan.request.kind)) await say(deps, req.replyTo, acceptedCard(jobId, plan.summary));
  return { status: 'enqueued', jobId, created };
}

/** Role and space checks for a person. Throws PermissionError naming the role and who holds it. */
export function authorize(email: string, command: Command | undefined, plan: JobPlan, replyTo: ReplyTo | undefined, deps: AppDeps): void {
  const cfg = deps.config;
  if (plan.env && replyTo && !spaceAllows(cfg, replyTo.roomId, plan.env)) {
    throw new UserError(`This space is not set up for \`${plan.env}\`.`, 'Ask in a space for that environment, or ask an admin to add it under `spaces:` in the config.');
  }
  const need: Role = command?.minRole ?? 'operator';
  const role = roleOf(cfg, email, plan.env);
  if (!hasRole(role, need)) {
    throw new PermissionError(
      `\`${command?.name ?? plan.request.kind}\`${plan.env ? ` in ${plan.env}` : ''} needs the ${need} role; you have ${role ?? 'no role'}${plan.env ? ' there' : ''}.`,
      holdersOf(cfg, need, plan.env),
    );
  }
}
