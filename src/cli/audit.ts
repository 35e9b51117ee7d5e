import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createRedisAuditLog } from '../queue/audit.js';
import { assertRedisReachable } from '../queue/redis.js';
import type { CliIo } from './run.js';

const USAGE = 'usage: medic audit [--since 24h|30m|7d] [--env <env>] [--limit n] [--json]';

function parseSince(v: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** `medic audit`: the audit trail from Redis, newest first. */
export async function runAudit(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let sinceMs = 24 * 3_600_000;
  let envName: string | undefined;
  let limit = 1000;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--json') json = true;
    else if (a === '--since' && v && parseSince(v) !== undefined) (sinceMs = parseSince(v)!), i++;
    else if (a === '--env' && v) (envName = v), i++;
    else if (a === '--limit' && v && /^\d+$/.test(v)) (limit = Number(v)), i++;
    else {
      io.stderr(`medic audit: cannot use \`${a}\`${a === '--since' ? ' (durations look like 30m, 24h, 7d)' : ''}\n${USAGE}\n`);
      return 1;
    }
  }
  const config = loadConfig({ ...env, MEDIC_ROLE: 'worker' });
  await assertRedisReachable(config.env.REDIS_URL);
  const redis = new Redis(config.env.REDIS_URL);
  try {
    const entries = await createRedisAuditLog(redis, config.env.MEDIC_QUEUE_PREFIX, config.file.audit.maxEntries).read({ sinceMs: Date.now() - sinceMs, env: envName, limit });
    if (json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
    else for (const e of entries) io.stdout(`${new Date(e.at).toISOString()} ${e.type.padEnd(18)} ${e.actor.padEnd(30)} ${e.env ?? '-'} ${e.jobId ?? e.approvalId ?? ''} ${e.detail}\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
