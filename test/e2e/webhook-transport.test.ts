import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';

describe('the Webex webhook endpoint and reply delivery', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness();
    url = `http://127.0.0.1:${h.medic.port}/webex`;
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function post(body: string, headers: Record<string, string>) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  }

  /** A real signed delivery captured from the local space, for a message that asks for help. */
  async function capturedHelpDelivery() {
    const msg = await h.space.userSays('alice@example.com', 'help');
    const d = await h.space.waitForDelivery((x) => x.resource === 'messages' && x.body.includes(msg.id));
    await h.space.waitForMessage((m) => m.parentId === msg.id);
    return { msg, d };
  }

  it('refuses an unsigned or wrongly signed delivery with 401 and posts nothing', async () => {
    const { d } = await capturedHelpDelivery();
    const before = h.space.messages({ fromBot: true }).length;
    const unsigned = await post(d.body, {});
    expect(unsigned.status).toBe(401);
    const forged = await post(d.body, { 'x-spark-signature': createHmac('sha1', 'not-the-secret').update(d.body).digest('hex') });
    expect(forged.status).toBe(401);
    const tampered = d.body.replace('"messages"', '"messages" ');
    expect((await post(tampered, { 'x-spark-signature': d.signature! })).status).toBe(401);
    // The bot's own answer to a legitimate ping proves the pipeline was idle, not slow: nothing extra was posted.
    const { reply } = await h.ask('alice@example.com', 'ping');
    expect(cardText(cardOf(reply))).toContain('pong');
    expect(h.space.messages({ fromBot: true }).length).toBe(before + 1);
  });

  it('answers a redelivered webhook once', async () => {
    const { msg, d } = await capturedHelpDelivery();
    const again = await post(d.body, { 'x-spark-signature': d.signature! });
    expect(again.status).toBe(200);
    const { reply } = await h.ask('alice@example.com', 'ping');
    expect(reply).toBeTruthy();
    expect(h.space.messages({ fromBot: true }).filter((m) => m.parentId === msg.id)).toHaveLength(1);
  });

  it('refuses an oversized body with 413', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(400_000) });
    const res = await post(big, { 'x-spark-signature': createHmac('sha1', h.secret).update(big).digest('hex') });
    expect(res.status).toBe(413);
  });

  it('delivers a reply after a 429, once Retry-After has passed', async () => {
    h.space.injectFault({ method: 'POST', path: '/v1/messages', status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const { reply } = await h.ask('alice@example.com', 'ping', { timeoutMs: 20_000 });
    expect(cardText(cardOf(reply))).toContain('pong');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(h.space.calls.filter((c) => c === 'POST /v1/messages').length).toBeGreaterThanOrEqual(2);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const base = `http://127.0.0.1:${h.medic.port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/medic_jobs\{queue="runbooks",state="completed"\} [1-9]/);
    expect(metrics).toMatch(/medic_reply_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/medic_http_requests_total\{route="\/webex",method="POST",status="401"\} [1-9]/);
  });
});
