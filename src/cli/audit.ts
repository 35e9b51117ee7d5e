import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createRedisAuditLog } from '../queue/audit.js';
import { assertRedisReachable } from '../queue/redis.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

const USAGE = `usage: medic audit [--since 24h|30m|7d] [--env <env>] [--limit n] [--json]

  --since <d>   how far back (default 24h; durations look like 30m, 24h, 7d)
  --env <env>   only entries of this environment
  --limit <n>   at most n entries (default 1000), newest first
  --json        print the entries as JSON
  -h, --help    this help`;

function parseSince(v: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** `medic audit`: the audit trail from Redis, newest first. */
export async function runAudit(args: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { since: { type: 'string' }, env: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, { positionals: false, needs: { since: 'a duration: 30m, 24h, 7d', env: 'an environment name', limit: 'a number' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic audit', e.message, USAGE);
    throw e;
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const sinceMs = v.since === undefined ? 24 * 3_600_000 : parseSince(v.since);
  if (sinceMs === undefined) return usageError(io, 'medic audit', `cannot use --since ${v.since} (durations look like 30m, 24h, 7d)`, USAGE);
  if (v.limit !== undefined && !/^\d+$/.test(v.limit)) return usageError(io, 'medic audit', `--limit takes a number, not ${JSON.stringify(v.limit)}`, USAGE);
  const limit = v.limit === undefined ? 1000 : Number(v.limit);
  const envName = v.env;
  const json = v.json ?? false;
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
