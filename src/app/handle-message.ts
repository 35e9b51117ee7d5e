import type { Command, CommandPlan, LocalAction } from '../../commands/command.js';
import { parseCommand } from '../../commands/parse.js';
import { type CardMessage } from '../../cards/card-kit.js';
import { envsCard } from '../../cards/envs-card.js';
import { internalErrorCard, permissionCard, userErrorCard } from '../../cards/error-card.js';
import { commandHelpCard, helpCard } from '../../cards/help-card.js';
import { acceptedCard, jobCard, jobsCard } from '../../cards/job-card.js';
import { errorMessage, errorRef, isUserError, PermissionError, UserError } from '../core/errors.js';
import { hasRole, type Actor } from '../core/identity.js';
import type { InboundEvent, PersonRef } from '../core/inbound.js';
import type { ReplyTo } from '../core/identity.js';
import { jobIdFor } from './job-id.js';
import { holdersOf, roleOf, spaceAllows, visibleEnvs } from './access.js';
import type { AppDeps } from './app-deps.js';

/** Job kinds that answer at once; others get a "working on it" note first. */
const INSTANT_KINDS = new Set(['system.ping']);

/** Where replies to a message go: the thread it belongs to (Webex threads are one level deep). */
export function threadOf(event: { roomId: string; messageId: string; parentId?: string }): ReplyTo {
  return { roomId: event.roomId, parentId: event.parentId ?? event.messageId };
}

/** Posts a card in the thread. */
export async function say(deps: AppDeps, to: ReplyTo, msg: CardMessage, causedAt?: number): Promise<void> {
  await deps.replies.enqueueReply({ roomId: to.roomId, parentId: to.parentId, text: msg.text, card: msg.card, causedAt });
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
      await say(deps, req.replyTo, await localAnswer(plan.action, req, deps), req.receivedAt);
      return;
    }
    authorize(command, plan, req, deps);
    const actor: Actor = { type: 'person', email: req.person.email, displayName: req.person.displayName, personId: req.person.id };
    const jobId = jobIdFor(req.sourceId);
    const { created } = await deps.runbooks.enqueueRunbook(jobId, {
      request: plan.request,
      actor,
      replyTo: req.replyTo,
      risk: plan.risk,
      origin: req.text.slice(0, 500),
      env: plan.env,
    });
    log.info({ jobId, kind: plan.request.kind, created }, 'runbook job enqueued');
    if (created && !INSTANT_KINDS.has(plan.request.kind)) await say(deps, req.replyTo, acceptedCard(jobId, plan.summary));
  } catch (e) {
    if (isUserError(e)) {
      log.info({ err: e.message }, 'request refused');
      const card = e instanceof PermissionError ? permissionCard(e.message, (e.hint ?? '').split(',').filter(Boolean)) : userErrorCard(e.message, e.hint);
      await say(deps, req.replyTo, card);
      return;
    }
    const ref = errorRef();
    log.error({ err: e, ref }, `handling message failed: ${errorMessage(e)}`);
    await say(deps, req.replyTo, internalErrorCard('Handling your message', ref));
  }
}

/** Role and space checks. Throws PermissionError naming the role and who holds it. */
function authorize(command: Command, plan: Extract<CommandPlan, { type: 'job' }>, req: CommandRequest, deps: AppDeps): void {
  const cfg = deps.config;
  if (plan.env && !spaceAllows(cfg, req.replyTo.roomId, plan.env)) {
    throw new UserError(`This space is not set up for \`${plan.env}\`.`, 'Ask in a space for that environment, or ask an admin to add it under `spaces:` in the config.');
  }
  const role = roleOf(cfg, req.person.email, plan.env);
  if (!hasRole(role, command.minRole)) {
    throw new PermissionError(
      `\`${command.name}\`${plan.env ? ` in ${plan.env}` : ''} needs the ${command.minRole} role; you have ${role ?? 'no role'}${plan.env ? ' there' : ''}.`,
      holdersOf(cfg, command.minRole, plan.env).join(','),
    );
  }
}

async function localAnswer(action: LocalAction, req: CommandRequest, deps: AppDeps): Promise<CardMessage> {
  const email = req.person.email;
  switch (action.kind) {
    case 'help': {
      const role = roleOf(deps.config, email);
      if (action.command) {
        const wanted = action.command.toLowerCase().trim();
        const c = deps.commands.find((x) => x.name === wanted) ?? deps.commands.find((x) => x.name.startsWith(wanted));
        if (!c) throw new UserError(`There is no command \`${action.command}\`.`, 'Type `help` for the list.');
        return commandHelpCard(c, hasRole(role, c.minRole));
      }
      const mine = deps.commands.filter((c) => hasRole(role, c.minRole) || c.name === 'help');
      return helpCard(mine, req.person.displayName ?? email);
    }
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
  }
}
