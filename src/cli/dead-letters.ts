import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createDeadLetters } from '../queue/incidents.js';
import { assertRedisReachable } from '../queue/redis.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

const USAGE = `usage: medic alerts dead-letters [--limit n] [--json]

  --limit <n>   at most n payloads (default 20), newest first
  --json        print them as JSON
  -h, --help    this help`;

/** `medic alerts dead-letters [--limit n] [--json]`: alert payloads Medic refused (400), newest first, with why. */
export async function runDeadLetters(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { limit: { type: 'string' }, json: { type: 'boolean' } }, { positionals: false, needs: { limit: 'a number' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic alerts dead-letters', e.message, USAGE);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const { limit: limitText = '20', json = false } = parsed.values;
  if (!/^\d+$/.test(limitText)) return usageError(io, 'medic alerts dead-letters', `--limit takes a number, not ${JSON.stringify(limitText)}`, USAGE);
  const limit = Number(limitText);
  const config = loadConfig({ ...env, MEDIC_ROLE: 'worker' });
  await assertRedisReachable(config.env.REDIS_URL);
  const redis = new Redis(config.env.REDIS_URL);
  try {
    const entries = await createDeadLetters(redis, config.env.MEDIC_QUEUE_PREFIX, 0).list(limit);
    if (json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
    else if (entries.length === 0) io.stdout('No refused alert payloads.\n');
    else for (const e of entries) io.stdout(`${new Date(e.receivedAt).toISOString()} ${e.route} ${e.remote ?? ''}\n  why: ${e.reason}\n  body: ${e.body.slice(0, 300)}\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
