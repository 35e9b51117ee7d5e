import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DiskHistory, DiskReading } from '../core/kinds/disk.js';

/** Readings older than this are forgotten: growth over months says little about today's incident. */
const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * The last `disk` reading per environment, instance and mount: one small JSON string per key, swapped atomically
 * (`SET ... GET`, Redis ≥ 6.2), so two concurrent readings each see a previous one, never the same twice.
 */
export function createRedisDiskHistory(redis: Redis, prefix: string): DiskHistory {
  return {
    async swap(key, reading) {
      // The mount point is hashed: it may hold characters that do not belong in a key name.
      const mount = createHash('sha256').update(key.mount).digest('hex').slice(0, 16);
      const k = `${prefix}:disk:last:${key.env}:${key.instanceId}:${mount}`;
      const prev = (await redis.call('SET', k, JSON.stringify(reading), 'EX', String(KEEP_SECONDS), 'GET')) as string | null;
      if (!prev) return undefined;
      try {
        const p = JSON.parse(prev) as Partial<DiskReading>;
        if (typeof p.at !== 'number' || typeof p.usedBytes !== 'number') return undefined;
        return { at: p.at, usedBytes: p.usedBytes, inodesUsed: typeof p.inodesUsed === 'number' ? p.inodesUsed : null };
      } catch {
        return undefined;
      }
    },
  };
}
