import { Redis, type RedisOptions } from 'ioredis';

/** Thrown when Redis cannot be reached at start-up: names the URL and how to get one. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(url: string, cause: string) {
    super(
      `Cannot reach Redis at ${redactUrl(url)} (${cause}). Medic keeps its queues there.\n` +
        `  Start one locally: redis-server --port 6379 --save "" --appendonly no   (Debian: apt-get install redis-server)\n` +
        `  or point REDIS_URL at yours, e.g. REDIS_URL=redis://host:6379`,
    );
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

/**
 * A connection for BullMQ. Workers and QueueEvents need `maxRetriesPerRequest: null` (they block and reconnect);
 * producers fail fast so a request is answered with an error instead of hanging when Redis is down.
 */
export function createRedis(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: role === 'worker',
    lazyConnect: false,
    connectTimeout: 5_000,
    ...extra,
  });
}

/** Resolves when Redis answers PING, or rejects with RedisUnavailableError after `timeoutMs`. */
export async function assertRedisReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: timeoutMs, retryStrategy: () => null });
  probe.on('error', () => undefined); // reported through the rejected connect below
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    throw new RedisUnavailableError(url, (e as Error).message);
  } finally {
    probe.disconnect();
  }
}
