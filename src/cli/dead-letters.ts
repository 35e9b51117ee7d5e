import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createDeadLetters } from '../queue/incidents.js';
import { assertRedisReachable } from '../queue/redis.js';
import type { CliIo } from './run.js';

/** `medic alerts dead-letters [--limit n] [--json]`: alert payloads Medic refused (400), newest first, with why. */
export async function runDeadLetters(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let limit = 20;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = true;
    else if (args[i] === '--limit' && /^\d+$/.test(args[i + 1] ?? '')) limit = Number(args[++i]);
    else {
      io.stderr(`medic alerts dead-letters: cannot use \`${args[i]}\`\nusage: medic alerts dead-letters [--limit n] [--json]\n`);
      return 1;
    }
  }
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
