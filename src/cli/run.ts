import { randomUUID } from 'node:crypto';
import { COMMANDS } from '../../commands/index.js';
import { parseCommand } from '../../commands/parse.js';
import { resultCard } from '../../cards/index.js';
import { envsCard } from '../../cards/envs-card.js';
import type { AccessConfig } from '../app/access.js';
import { visibleEnvs } from '../app/access.js';
import { helpAnswer } from '../app/help-answer.js';
import { runRunbookJob } from '../app/run-runbook.js';
import { authorize } from '../app/submit-job.js';
import { loadConfig } from '../config.js';
import { isUserError, NonRetryableError, UserError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import type { CardMessage } from '../../cards/card-kit.js';
import { createRunbookServices } from '../services.js';
import { createLogger } from '../logger.js';

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

const USAGE = 'usage: medic run "<command text>" --as <email> [--json | --card]';

/**
 * `medic run`: one chat command through the same parsing, policy and runbook code, in this process (no Redis,
 * no Webex). Exit 0 on success, 1 on a user error (bad command, not allowed), 2 on an internal error.
 */
export async function runCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let text: string | undefined;
  let email: string | undefined;
  let format: 'text' | 'json' | 'card' = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--as') email = args[++i];
    else if (a === '--json') format = 'json';
    else if (a === '--card') format = 'card';
    else if (a.startsWith('--')) {
      io.stderr(`unknown option ${a}\n${USAGE}\n`);
      return 1;
    } else if (text === undefined) text = a;
    else {
      io.stderr(`put the command text in quotes: medic run "${args.slice(i - 1).join(' ')}"\n${USAGE}\n`);
      return 1;
    }
  }
  if (!text || !email) {
    io.stderr(`${USAGE}\n`);
    return 1;
  }
  try {
    // The CLI is a worker-side tool: it needs no Webex token.
    const config = loadConfig({ ...env, MEDIC_ROLE: 'worker' });
    const log = createLogger(env.LOG_LEVEL ?? 'warn');
    const access: AccessConfig = { access: config.file.access, spaces: config.file.spaces, inventory: config.file.environments };
    const { command, input } = parseCommand(text, COMMANDS);
    const plan = command.plan({ ...input, inventory: config.file.environments, receivedAt: systemClock.now() });
    if (plan.type === 'local') {
      const a = plan.action;
      let card: CardMessage;
      if (a.kind === 'help') card = helpAnswer(COMMANDS, access, { email }, a.command);
      else if (a.kind === 'envs') card = envsCard(access.inventory, visibleEnvs(access, email));
      else throw new UserError(`\`${command.name}\` reads the job queue; ask in Webex, or use the HTTP API of a running Medic.`);
      io.stdout(format === 'text' ? `${card.text}\n` : `${JSON.stringify(format === 'card' ? card.card : { kind: a.kind, text: card.text }, null, 2)}\n`);
      return 0;
    }
    authorize(email, command, plan, undefined, { config: access });
    if (plan.risk !== 'read') {
      throw new UserError(`\`${command.name}\` is a ${plan.risk} action: it needs an approval in Webex.`, 'Ask for it in a Webex space, where a second person can approve it.');
    }
    const id = `cli-${randomUUID().slice(0, 8)}`;
    const result = await runRunbookJob(
      { id, data: { request: plan.request, actor: { type: 'person', email }, risk: plan.risk, origin: text, env: plan.env }, finalAttempt: true, signal: AbortSignal.timeout(15 * 60_000) },
      {
        inventory: config.file.environments,
        services: createRunbookServices(env, { thresholds: config.file.thresholds }),
        // The result is printed here, not posted: a job without replyTo enqueues no reply.
        replies: { enqueueReply: async () => undefined },
        clock: systemClock,
        log,
        workerId: `cli:${process.pid}`,
      },
    );
    if (format === 'json') io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (format === 'card') io.stdout(`${JSON.stringify(resultCard(result, { jobId: id, requestedBy: email, env: plan.env, now: systemClock.now() }).card, null, 2)}\n`);
    else io.stdout(`${result.summary}\n`);
    return 0;
  } catch (e) {
    if (isUserError(e) || e instanceof NonRetryableError) {
      io.stderr(`${e.message}${isUserError(e) && e.hint ? `\n${e.hint}` : ''}\n`);
      return 1;
    }
    if (e instanceof Error && e.name === 'ConfigError') {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    io.stderr(`internal error: ${(e as Error).stack ?? e}\n`);
    return 2;
  }
}
