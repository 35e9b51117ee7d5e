import type { LocalAction } from '../../commands/command.js';
import { parseCommand } from '../../commands/parse.js';
import { approvalsListCard } from '../../cards/approval-card.js';
import { auditCard } from '../../cards/audit-card.js';
import type { CardMessage } from '../../cards/card-kit.js';
import { envsCard } from '../../cards/envs-card.js';
import { internalErrorCard, permissionCard, userErrorCard } from '../../cards/error-card.js';
import { jobCard, jobsCard } from '../../cards/job-card.js';
import { errorMessage, errorRef, isUserError, PermissionError, UserError } from '../core/errors.js';
import { hasRole, type Actor, type ReplyTo } from '../core/identity.js';
import type { InboundEvent, PersonRef } from '../core/inbound.js';
import { holdersOf, roleOf, visibleEnvs } from './access.js';
import type { AppDeps } from './app-deps.js';
import { approvalsFor, cancelJob } from './approvals.js';
import { helpAnswer } from './help-answer.js';
import { say } from './say.js';
import { submitJob } from './submit-job.js';

/** Where replies to a message go: the thread it belongs to (Webex threads are one level deep). */
export function threadOf(event: { roomId: string; messageId: string; parentId?: string }): ReplyTo {
  return { roomId: event.roomId, parentId: event.parentId ?? event.messageId };
}

export interface CommandRequest {
  /** Stable id of the source event (Webex message or action id): the job id derives from it. */
  sourceId: string;
  text: string;
  person: PersonRef;
  replyTo: ReplyTo;
  receivedAt: number;
}

/** A person's chat message: parse, check, then answer at once or enqueue a runbook. Never throws. */
export async function handleMessage(event: Extract<InboundEvent, { type: 'message' }>, deps: AppDeps): Promise<void> {
  await handleCommandText(
    { sourceId: event.messageId, text: event.text, person: event.person, replyTo: threadOf(event), receivedAt: event.receivedAt },
    deps,
  );
}

export async function handleCommandText(req: CommandRequest, deps: AppDeps): Promise<void> {
  const log = deps.log.child({ sourceId: req.sourceId, person: req.person.email });
  try {
    const { command, input } = parseCommand(req.text, deps.commands);
    const plan = command.plan({ ...input, inventory: deps.config.inventory, receivedAt: req.receivedAt });
    if (plan.type === 'local') {
      const role = roleOf(deps.config, req.person.email);
      if (command.name !== 'help' && !hasRole(role, command.minRole)) {
        throw new PermissionError(`\`${command.name}\` needs the ${command.minRole} role; you have ${role ?? 'no role'}.`, holdersOf(deps.config, command.minRole));
      }
      const answer = await localAnswer(plan.action, req, deps);
      if (answer) await say(deps, req.replyTo, answer, { causedAt: req.receivedAt });
      return;
    }
    const actor: Actor = { type: 'person', email: req.person.email, displayName: req.person.displayName, personId: req.person.id };
    await submitJob({ sourceId: req.sourceId, plan, actor, replyTo: req.replyTo, origin: req.text, command, reason: input.reason }, deps);
  } catch (e) {
    if (isUserError(e)) {
      log.info({ err: e.message }, 'request refused');
      const card = e instanceof PermissionError ? permissionCard(e.message, e.holders) : userErrorCard(e.message, e.hint);
      await say(deps, req.replyTo, card);
      return;
    }
    const ref = errorRef();
    log.error({ err: e, ref }, `handling message failed: ${errorMessage(e)}`);
    await say(deps, req.replyTo, internalErrorCard('Handling your message', ref));
  }
}

async function localAnswer(action: LocalAction, req: CommandRequest, deps: AppDeps): Promise<CardMessage | undefined> {
  const email = req.person.email;
  switch (action.kind) {
    case 'help':
      return helpAnswer(deps.commands, deps.config, req.person, action.command);
    case 'job': {
      const v = await deps.runbooks.getJob(action.jobId);
      if (!v || (v.roomId && v.roomId !== req.replyTo.roomId && !hasRole(roleOf(deps.config, email), 'admin'))) {
        throw new UserError(`I have no job \`${action.jobId}\` in this space.`, 'Type `jobs` to list the recent ones (finished jobs are kept for 7 days).');
      }
      return jobCard(v, deps.clock.now());
    }
    case 'jobs':
      return jobsCard(await deps.runbooks.listJobs({ roomId: req.replyTo.roomId, limit: 10 }), deps.clock.now());
    case 'envs':
      return envsCard(deps.config.inventory, visibleEnvs(deps.config, email, req.replyTo.roomId));
    case 'approvals':
      return approvalsListCard(await approvalsFor(email, deps), deps.clock.now());
    case 'cancel':
      // cancelJob answers in the thread(s) itself.
      await cancelJob(action.jobId, req.person, req.replyTo, deps);
      return undefined;
    case 'audit':
      return auditCard(await deps.audit.read({ env: action.env, limit: action.limit }), action.env);
  }
}
