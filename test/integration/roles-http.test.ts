import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startMedic, type RunningMedic } from '../../src/main.js';
import { cleanPrefix, REDIS_URL, startHarness } from '../support/medic-harness.js';
import { redisProxy } from '../support/redis-proxy.js';

/** Every role answers probes and metrics; with MEDIC_ADMIN_PORT the public port keeps only intake and liveness. */

const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await cleanPrefix(p);
});

async function startWorker(env: Record<string, string>): Promise<RunningMedic> {
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const config = loadConfig({ MEDIC_ROLE: 'worker', HOST: '127.0.0.1', PORT: '0', REDIS_URL, MEDIC_QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent', ...env });
  return await startMedic(config, { log: createLogger('silent') });
}

async function get(port: number | undefined, path: string): Promise<{ status: number; text: string }> {
  expect(port).toEqual(expect.any(Number));
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

describe('the worker role over HTTP', () => {
  it('answers /healthz, /readyz and /metrics on MEDIC_ADMIN_PORT', async () => {
    const medic = await startWorker({ MEDIC_ADMIN_PORT: '0' });
    try {
      expect(medic.port).toBeUndefined();
      expect(JSON.parse((await get(medic.adminPort, '/healthz')).text)).toEqual({ status: 'ok' });
      expect(JSON.parse((await get(medic.adminPort, '/readyz')).text)).toEqual({ status: 'ready' });
      const metrics = await get(medic.adminPort, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^medic_jobs\{queue="runbooks",state="waiting"\} 0$/m);
      expect(metrics.text).toMatch(/^medic_process_cpu_seconds_total /m);
      expect((await get(medic.adminPort, '/webex')).status).toBe(404);
    } finally {
      await medic.stop();
    }
  });

  it('serves them on PORT when no admin port is set, so the image’s HEALTHCHECK finds it', async () => {
    const medic = await startWorker({});
    try {
      expect((await get(medic.adminPort, '/healthz')).status).toBe(200);
      expect((await get(medic.adminPort, '/metrics')).status).toBe(200);
    } finally {
      await medic.stop();
    }
  });

  it('answers /readyz 503 without the error text while Redis is unreachable, and ready again when it is back', async () => {
    const proxy = await redisProxy();
    const medic = await startWorker({ MEDIC_ADMIN_PORT: '0', REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    try {
      expect((await get(medic.adminPort, '/readyz')).status).toBe(200);
      await proxy.down();
      const down = await until(async () => {
        const r = await get(medic.adminPort, '/readyz');
        return r.status === 503 ? r : undefined;
      });
      expect(JSON.parse(down.text)).toEqual({ status: 'not ready', reason: 'Redis did not answer; see the logs' });
      expect(down.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|writeable|Connection|closed/i);
      // Liveness is not readiness: the process is fine, Redis is not.
      expect((await get(medic.adminPort, '/healthz')).status).toBe(200);
      await proxy.up();
      await until(async () => ((await get(medic.adminPort, '/readyz')).status === 200 ? true : undefined));
    } finally {
      await medic.stop();
      await proxy.close();
    }
  });
});

describe('the web role with MEDIC_ADMIN_PORT', () => {
  it('keeps /metrics and /readyz off the public port', async () => {
    const h = await startHarness({ env: { MEDIC_ADMIN_PORT: '0' } });
    try {
      expect(h.medic.adminPort).not.toBe(h.medic.port);
      expect((await get(h.medic.port, '/metrics')).status).toBe(404);
      expect((await get(h.medic.port, '/readyz')).status).toBe(404);
      expect((await get(h.medic.port, '/healthz')).status).toBe(200);
      // Intake still works on the public port: a chat command gets its answer.
      const { reply } = await h.ask('alice@example.com', 'ping');
      expect(reply.markdown ?? reply.text ?? '').toBeTruthy();
      const metrics = await get(h.medic.adminPort, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/medic_http_requests_total\{route="\/webex",method="POST",status="200"\} [1-9]/);
      expect(metrics.text).toMatch(/medic_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/);
    } finally {
      await h.stop();
    }
  });
});

/** Polls `probe` until it yields a value (the state it waits for is reached), for up to 20 s. */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('the awaited state was not reached within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
