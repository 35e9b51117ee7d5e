import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTargetLocks } from '../../src/queue/target-lock.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `medic-test:target-lock:${randomUUID()}:`;

describe('per-target locks on real Redis', () => {
  let redis: Redis;
  let other: Redis;

  beforeAll(() => {
    redis = new Redis(URL, { maxRetriesPerRequest: 1 });
    other = new Redis(URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    other.disconnect();
  });

  const ana = { jobId: 'job-1', requestedBy: 'ana@example.com' };
  const bob = { jobId: 'job-2', requestedBy: 'bob@example.com' };

  it('lets one job hold a target and tells the next who holds it', async () => {
    const locks = createTargetLocks(redis, { prefix: `${PREFIX}a:` });
    const first = await locks.acquire(['i-1'], ana);
    expect(first.ok).toBe(true);
    // A second connection, as a second worker would have.
    const second = await createTargetLocks(other, { prefix: `${PREFIX}a:` }).acquire(['i-1'], bob);
    expect(second).toEqual({ ok: false, holder: { key: 'i-1', jobId: 'job-1', requestedBy: 'ana@example.com', token: first.ok ? first.token : -1 } });
    expect(await locks.holderOf('i-1')).toMatchObject({ jobId: 'job-1', requestedBy: 'ana@example.com' });
    if (first.ok) await first.release();
    expect(await locks.holderOf('i-1')).toBeNull();
    expect((await locks.acquire(['i-1'], bob)).ok).toBe(true);
  });

  it('takes several targets all or nothing', async () => {
    const locks = createTargetLocks(redis, { prefix: `${PREFIX}b:` });
    const db = await locks.acquire(['db:main'], ana);
    expect(db.ok).toBe(true);
    const both = await locks.acquire(['i-9', 'db:main'], bob);
    expect(both).toMatchObject({ ok: false, holder: { key: 'db:main', jobId: 'job-1' } });
    // Nothing of the refused set was taken.
    expect(await locks.holderOf('i-9')).toBeNull();
    if (db.ok) await db.release();
    expect((await locks.acquire(['i-9', 'db:main'], bob)).ok).toBe(true);
  });

  it('gives each acquisition a larger fencing token', async () => {
    const locks = createTargetLocks(redis, { prefix: `${PREFIX}c:` });
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const l = await locks.acquire(['i-2'], ana);
      if (!l.ok) throw new Error('expected the lock');
      tokens.push(l.token);
      await l.release();
    }
    expect(tokens[1]).toBeGreaterThan(tokens[0]!);
    expect(tokens[2]).toBeGreaterThan(tokens[1]!);
  });

  it('renews only while still the owner, and releases only its own lock', async () => {
    const locks = createTargetLocks(redis, { prefix: `${PREFIX}d:`, ttlMs: 5_000 });
    const l = await locks.acquire(['i-3', 'jvm:i-3'], ana);
    if (!l.ok) throw new Error('expected the lock');
    await redis.pexpire(`${PREFIX}d:lock:i-3`, 1_000);
    expect(await l.renew()).toBe(true);
    expect(await redis.pttl(`${PREFIX}d:lock:i-3`)).toBeGreaterThan(1_000);
    // Someone else holds one of the keys now (our lock expired and was taken over).
    await redis.del(`${PREFIX}d:lock:jvm:i-3`);
    const taker = await locks.acquire(['jvm:i-3'], bob);
    expect(taker.ok).toBe(true);
    expect(await l.renew()).toBe(false);
    await l.release();
    expect(await locks.holderOf('jvm:i-3')).toMatchObject({ jobId: 'job-2' });
    expect(await locks.holderOf('i-3')).toBeNull();
  });

  it('lets a crashed holder’s lock expire', async () => {
    const crashed = new Redis(URL, { maxRetriesPerRequest: 1 });
    const l = await createTargetLocks(crashed, { prefix: `${PREFIX}e:`, ttlMs: 300 }).acquire(['i-4'], ana);
    expect(l.ok).toBe(true);
    // The worker dies without releasing or renewing.
    crashed.disconnect();
    const locks = createTargetLocks(redis, { prefix: `${PREFIX}e:` });
    expect((await locks.acquire(['i-4'], bob)).ok).toBe(false);
    await vi.waitFor(async () => expect(await locks.holderOf('i-4')).toBeNull(), { timeout: 5_000, interval: 50 });
    expect(await locks.acquire(['i-4'], bob)).toMatchObject({ ok: true });
  });

  it('is mutually exclusive under concurrent attempts from two connections', async () => {
    const a = createTargetLocks(redis, { prefix: `${PREFIX}f:` });
    const b = createTargetLocks(other, { prefix: `${PREFIX}f:` });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquire(['i-5', `i-${6 + (i % 3)}`], { jobId: `job-${i}`, requestedBy: 'x' })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});
