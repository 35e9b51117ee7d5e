import type { Redis } from 'ioredis';
import type { AuditEntry, AuditLog } from '../core/approval.js';

/** Append-only audit trail in a Redis stream, trimmed (approximately) to `maxEntries`. */
export function createRedisAuditLog(redis: Redis, prefix: string, maxEntries: number): AuditLog {
  const key = `${prefix}:audit`;
  return {
    async append(e) {
      const fields = Object.entries(e).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
      await redis.xadd(key, 'MAXLEN', '~', String(maxEntries), '*', ...fields);
    },
    async read({ sinceMs, env, limit }) {
      const out: AuditEntry[] = [];
      let end = '+';
      const start = sinceMs !== undefined ? `${sinceMs}-0` : '-';
      // Page backwards so an env filter still finds `limit` entries.
      while (out.length < limit) {
        const page = await redis.xrevrange(key, end, start, 'COUNT', 500);
        if (page.length === 0) break;
        for (const [id, flat] of page) {
          const o: Record<string, string> = {};
          for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
          const entry: AuditEntry = { at: Number(o.at ?? id.split('-')[0]), type: o.type as AuditEntry['type'], actor: o.actor ?? '', env: o.env, jobId: o.jobId, approvalId: o.approvalId, roomId: o.roomId, detail: o.detail ?? '' };
          if (!env || entry.env === env) out.push(entry);
          if (out.length >= limit) break;
        }
        const last = page[page.length - 1]![0];
        const [ms, seq] = last.split('-').map(Number) as [number, number];
        end = seq > 0 ? `${ms}-${seq - 1}` : `${ms - 1}`;
        if (page.length < 500) break;
      }
      return out;
    },
  };
}
