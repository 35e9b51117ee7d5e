import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../src/cli.js';
import { createRedisAuditLog } from '../../src/queue/audit.js';
import { cardProblems } from '../support/adaptive-card.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out: () => out.join(''), err: () => err.join('') };
}

const CONFIG = 'config/demo.yaml';

describe('the medic CLI', () => {
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    await cleanPrefix(prefix);
  });

  it('runs a command in-process and prints the result as JSON (exit 0)', async () => {
    process.env.MEDIC_CONFIG = CONFIG;
    const c = capture();
    expect(await cli(['run', 'ping', '--as', 'alice@example.com', '--json'], c.io)).toBe(0);
    const result = JSON.parse(c.out());
    expect(result.kind).toBe('system.ping');
    expect(result.worker).toMatch(/^cli:\d+$/);
  });

  it('prints the card with --card, valid for Webex', async () => {
    const c = capture();
    expect(await cli(['run', 'ping', '--as', 'alice@example.com', '--card'], c.io)).toBe(0);
    expect(cardProblems(JSON.parse(c.out()))).toEqual([]);
  });

  it.each([
    [['run', 'pign', '--as', 'alice@example.com'], /Did you mean `ping`/],
    [['run', 'ping', '--as', 'mallory@evil.example'], /needs the viewer role/],
    [['run', 'db kill demo/main 1', '--as', 'bob@example.com'], /needs an approval in Webex/],
    [['run', 'ping'], /usage: medic run/],
    [['analyze', 'threads', '/nonexistent/dump.txt'], /nonexistent/],
    [['nonsense'], /unknown command/],
  ])('exits 1 with a clear message for %j', async (argv, message) => {
    const c = capture();
    expect(await cli(argv, c.io)).toBe(1);
    expect(c.err()).toMatch(message);
  });

  it('prints the audit trail from Redis as JSON', async () => {
    const redis = new Redis(REDIS_URL);
    const log = createRedisAuditLog(redis, prefix, 1000);
    await log.append({ at: Date.now() - 3 * 3_600_000, type: 'request', actor: 'old@example.com', detail: 'old' });
    await log.append({ at: Date.now(), type: 'job-end', actor: 'alice@example.com', env: 'demo', jobId: 'r-1', detail: 'ok' });
    redis.disconnect();
    const c = capture();
    const env = { ...process.env, MEDIC_QUEUE_PREFIX: prefix, REDIS_URL };
    const { runAudit } = await import('../../src/cli/audit.js');
    expect(await runAudit(['--since', '1h', '--json'], c.io, env)).toBe(0);
    const entries = JSON.parse(c.out());
    // Newest first; the window is by append time, so both lines written just now are in it.
    expect(entries.map((e: { actor: string }) => e.actor)).toEqual(['alice@example.com', 'old@example.com']);
    expect(entries[0]).toMatchObject({ type: 'job-end', actor: 'alice@example.com', env: 'demo', jobId: 'r-1' });
    const only = capture();
    expect(await runAudit(['--env', 'demo', '--json'], only.io, env)).toBe(0);
    expect(JSON.parse(only.out()).map((e: { jobId?: string }) => e.jobId)).toEqual(['r-1']);
    const bad = capture();
    expect(await runAudit(['--since', 'yesterday'], bad.io, env)).toBe(1);
    expect(bad.err()).toMatch(/durations look like 30m, 24h, 7d/);
  });

  it('lists refused alert payloads with the reason', async () => {
    const redis = new Redis(REDIS_URL);
    const { createDeadLetters } = await import('../../src/queue/incidents.js');
    await createDeadLetters(redis, prefix, 10).add({ route: 'alertmanager', reason: 'alerts.0.status: expected firing or resolved', receivedAt: Date.now(), body: '{"alerts":[{}]}' });
    redis.disconnect();
    const bad = capture();
    expect(await cli(['alerts', 'nope'], bad.io)).toBe(1);
    expect(bad.err()).toMatch(/dead-letters/);
    const { runDeadLetters } = await import('../../src/cli/dead-letters.js');
    const d = capture();
    expect(await runDeadLetters(['--json'], d.io, { ...process.env, MEDIC_QUEUE_PREFIX: prefix, REDIS_URL })).toBe(0);
    expect(JSON.parse(d.out())).toEqual([expect.objectContaining({ route: 'alertmanager', reason: expect.stringMatching(/status/) })]);
  });
});
