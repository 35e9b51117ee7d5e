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
import { parseCliArgs, usageError, UsageError } from './args.js';
import type { CliIo } from './args.js';

export type { CliIo } from './args.js';

const USAGE = `usage: medic run "<command text>" --as <email> [--json | --card]

  "<command text>"  one chat command, in quotes (e.g. "health demo"); \`medic run help --as <email>\` lists them
  --as <email>      whose roles apply (the access: list of the config file)
  --json            print the job result as JSON
  --card            print the Adaptive Card Webex would get
  -h, --help        this help
Exit code: 0 ok, 1 user error (bad command, not allowed), 2 internal error.`;

/**
 * `medic run`: one chat command through the same parsing, policy and runbook code, in this process (no Redis,
 * no Webex). Exit 0 on success, 1 on a user error (bad command, not allowed), 2 on an internal error.
 */
export async function runCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { as: { type: 'string' }, json: { type: 'boolean' }, card: { type: 'boolean' } }, { needs: { as: 'an email address' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic run', e.message, USAGE);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [text, ...extra] = parsed.positionals;
  const email = parsed.values.as;
  if (extra.length > 0) return usageError(io, 'medic run', `put the command text in quotes: medic run "${parsed.positionals.join(' ')}"`, USAGE);
  if (parsed.values.json && parsed.values.card) return usageError(io, 'medic run', 'choose one of --json and --card', USAGE);
  const format: 'text' | 'json' | 'card' = parsed.values.json ? 'json' : parsed.values.card ? 'card' : 'text';
  if (!text) return usageError(io, 'medic run', 'no command text given', USAGE);
  if (!email) return usageError(io, 'medic run', 'say who is asking with --as <email>', USAGE);
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
