import type { Redis } from 'ioredis';
import type { BudgetRule, BudgetStore } from '../core/approval.js';

/*
 * One sorted set per budget key: member = job id, score = when it ran. Checking and recording happen in one
 * script, so concurrent automatic and manual runs cannot both squeeze past the limit.
 */
const CONSUME = `
local now, record, jobId = tonumber(ARGV[1]), ARGV[2], ARGV[3]
for i, key in ipairs(KEYS) do
  local max, window = tonumber(ARGV[2 + i * 2]), tonumber(ARGV[3 + i * 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= max then
    return {i, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')}
  end
end
if record == '1' then
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, jobId)
    redis.call('PEXPIRE', key, tonumber(ARGV[3 + i * 2]))
  end
end
return {0, {}}
`;

export function createRedisBudgetStore(redis: Redis, prefix: string): BudgetStore {
  async function run(rules: BudgetRule[], now: number, record: boolean, jobId: string) {
    if (rules.length === 0) return { ok: true as const };
    const args: string[] = [String(now), record ? '1' : '0', jobId];
    for (const r of rules) args.push(String(r.max), String(r.windowMs));
    const [i, flat] = (await redis.eval(CONSUME, rules.length, ...rules.map((r) => `${prefix}:budget:${r.key}`), ...args)) as [number, string[]];
    if (i === 0) return { ok: true as const };
    const recent: Array<{ jobId: string; at: number }> = [];
    for (let k = 0; k < flat.length; k += 2) recent.push({ jobId: flat[k]!, at: Number(flat[k + 1]) });
    return { ok: false as const, rule: rules[i - 1]!, recent: recent.reverse() };
  }
  return {
    consume: (rules, r) => run(rules, r.at, true, r.jobId),
    peek: (rules, now) => run(rules, now, false, ''),
  };
}
