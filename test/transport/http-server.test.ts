import type { Server } from 'node:http';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { createMetrics } from '../../src/metrics.js';
import { createHttpApp, listen, type HttpServerOptions } from '../../src/transport/http/http-server.js';

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

function recordingLog(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void =>
      void lines.push({ level, obj: typeof obj === 'object' && obj ? (obj as Record<string, unknown>) : { msg: obj }, msg });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log } as unknown as Logger;
  return log;
}

describe('the HTTP server', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(opts: Partial<HttpServerOptions> = {}): Promise<{ base: string; lines: Line[] }> {
    const lines: Line[] = [];
    const alerts = Router();
    alerts.post('/generic', (_req, res) => void res.status(202).json({ ok: true }));
    const app = createHttpApp({
      log: recordingLog(lines),
      metrics: createMetrics(),
      ready: async () => {},
      webex: { secret: 'x'.repeat(32), deliver: async () => {} },
      routers: [{ path: '/alerts', router: alerts }],
      ...opts,
    });
    const server = await listen(app, 0, '127.0.0.1');
    servers.push(server);
    return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, lines };
  }

  /** The address Medic logs for a refused webhook: what req.ip resolved to. */
  async function loggedIp(base: string, lines: Line[], forwardedFor: string): Promise<unknown> {
    const res = await fetch(`${base}/webex`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: '{}' });
    expect(res.status).toBe(401);
    return lines.find((l) => l.msg?.startsWith('rejected Webex webhook'))?.obj.ip;
  }

  it('ignores X-Forwarded-For by default: a client cannot choose the address Medic records', async () => {
    const { base, lines } = await serve();
    const ip = await loggedIp(base, lines, '203.0.113.9');
    expect(ip).toMatch(/(^|:)127\.0\.0\.1$/);
  });

  it.each([
    ['a hop count', 1, '203.0.113.9'],
    ['loopback by name', ['loopback'], '203.0.113.9'],
    ['a subnet the peer is not in', ['10.0.0.0/8'], 'peer'],
  ] as const)('believes X-Forwarded-For only from a configured proxy (%s)', async (_what, trustProxy, expected) => {
    const { base, lines } = await serve({ trustProxy: trustProxy as number | string[] });
    const ip = await loggedIp(base, lines, '203.0.113.9');
    if (expected === 'peer') expect(ip).toMatch(/(^|:)127\.0\.0\.1$/);
    else expect(ip).toBe(expected);
  });

  it('serves intake and liveness only on the public port when the admin endpoints have their own', async () => {
    const { base } = await serve({ endpoints: 'public' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/readyz`)).status).toBe(404);
    expect((await fetch(`${base}/webex`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/alerts/generic`, { method: 'POST' })).status).toBe(202);
  });

  it('serves probes and metrics only on the admin port', async () => {
    const { base } = await serve({ endpoints: 'admin' });
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^# HELP medic_/m);
    expect((await fetch(`${base}/webex`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${base}/alerts/generic`, { method: 'POST' })).status).toBe(404);
  });

  it('answers /readyz 503 with a fixed reason and logs the cause', async () => {
    const { base, lines } = await serve({
      ready: async () => {
        throw new Error('connect ECONNREFUSED 10.20.30.40:6379 for redis://medic:hunter2@cache.internal');
      },
    });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ status: 'not ready', reason: 'Redis did not answer; see the logs' });
    expect(body).not.toMatch(/ECONNREFUSED|10\.20\.30\.40|hunter2|cache\.internal/);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'readiness check failed', obj: { err: expect.stringContaining('ECONNREFUSED 10.20.30.40') } }));
  });

  it('answers /readyz 503 when the check hangs, and while stopping', async () => {
    const hanging = await serve({ ready: () => new Promise(() => {}), readyTimeoutMs: 50 });
    expect((await fetch(`${hanging.base}/readyz`)).status).toBe(503);
    const stopping = await serve({ stopping: () => true });
    const res = await fetch(`${stopping.base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'stopping' });
  });
});
