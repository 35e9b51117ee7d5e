import { execFileSync } from 'node:child_process';
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, DeadLetterEntry } from '../../../src/core/alert.js';
import type { Logger } from '../../../src/core/ports.js';
import { createMetrics, type MedicMetrics } from '../../../src/metrics.js';
import { bearerMatches, createAlertsRouter, type AlertsRouterDeps } from '../../../src/transport/alerts/alerts-router.js';
import { createSnsVerifier, snsCanonicalString, type SnsEnvelope } from '../../../src/transport/alerts/sns.js';

const TOKEN = 'router-test-token-0123456789';
/** Each sender its own token; generic uses TOKEN. */
const TOKENS = { datadog: 'datadog-token-0123456789abcdef', alertmanager: 'alertmanager-token-0123456789ab', generic: TOKEN };
const REGION = 'eu-west-1';
const CERT_URL = `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:medic-alarms';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** A key and a self-signed certificate made for this test run (openssl), standing in for SNS's. */
function makeCert(): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'medic-sns-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
    return { keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'), certPem: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sign(m: Omit<SnsEnvelope, 'Signature'>, keyPem: string): SnsEnvelope {
  const unsigned = { ...m, Signature: '' } as SnsEnvelope;
  const s = createSign(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsCanonicalString(unsigned)).sign(keyPem, 'base64');
  return { ...unsigned, Signature: s };
}

const alarm = (state: 'ALARM' | 'OK', at = new Date().toISOString()) =>
  JSON.stringify({
    AlarmName: 'acme-prod app-1 heap high',
    AlarmDescription: 'JVM heap above 90% env:acme-prod service:checkout',
    AWSAccountId: '123456789012',
    NewStateValue: state,
    NewStateReason: 'Threshold Crossed',
    StateChangeTime: at,
    Region: 'EU (Ireland)',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:acme-prod-app-1-heap',
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    Trigger: { MetricName: 'HeapUsed', Namespace: 'Medic/JVM', Dimensions: [{ name: 'InstanceId', value: 'i-0123456789abcdef0' }] },
  });

describe('the alerts router', () => {
  let server: Server;
  let base: string;
  let enqueued: Alert[][];
  let dead: DeadLetterEntry[];
  let fetched: string[];
  let seen: Set<string>;
  let enqueueImpl: (alerts: Alert[]) => Promise<{ created: number; duplicates: number }>;
  let now: number;
  let metrics: MedicMetrics;
  const sns = makeCert();
  const attacker = makeCert();

  beforeAll(async () => {
    const deps: AlertsRouterDeps = {
      tokens: TOKENS,
      rejected: (source, reason) => metrics.alertsRejected.inc({ source, reason }),
      enqueue: (a) => enqueueImpl(a),
      deadLetter: async (e) => {
        dead.push(e);
      },
      fetcher: async (url) => {
        fetched.push(url);
        if (url === CERT_URL) return { status: 200, body: sns.certPem };
        if (url.startsWith(`https://sns.${REGION}.amazonaws.com/?Action=ConfirmSubscription`)) return { status: 200, body: '<ConfirmSubscriptionResponse/>' };
        return { status: 404, body: '' };
      },
      clock: { now: () => now },
      log: silent,
      sns: {
        regions: [REGION],
        topicArns: [TOPIC],
        maxAgeMs: 3600_000,
        replay: { seen: async (id) => seen.has(id), remember: async (id) => void seen.add(id) },
      },
    };
    const app = express();
    app.use('/alerts', createAlertsRouter(deps));
    // A Medic with no token at all for any source.
    app.use('/closed', createAlertsRouter({ ...deps, tokens: {} }));
    await new Promise<void>((r) => {
      server = app.listen(0, '127.0.0.1', () => r());
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    enqueued = [];
    dead = [];
    fetched = [];
    seen = new Set();
    now = Date.now();
    metrics = createMetrics();
    enqueueImpl = async (a) => {
      enqueued.push(a);
      return { created: a.length, duplicates: 0 };
    };
  });

  const tokenFor = (path: string) => TOKENS[path.slice(1) as keyof typeof TOKENS] ?? TOKEN;
  const post = (path: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${tokenFor(path)}` }) =>
    fetch(`${base}/alerts${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  /** The value of medic_alerts_rejected_total{source,reason} as /metrics would show it. */
  const rejectedCount = async (source: string, reason: string) => (await metrics.alertsRejected.get()).values.find((v) => v.labels.source === source && v.labels.reason === reason)?.value ?? 0;

  describe('token routes', () => {
    // Shaped like what Alertmanager (webhook_config, version 4) and Datadog's default webhook template send; the
    // corpus run (payloads.corpus.test.ts) posts real third-party payloads through the same router.
    const amAlert = { status: 'firing', labels: { alertname: 'HeapHigh', env: 'acme-prod', instance: 'app-1' }, annotations: { summary: 'JVM heap above 90%' }, startsAt: '2026-11-26T03:15:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'a1bc48475b20e73d' };
    const alertmanager = { version: '4', receiver: 'medic', status: 'firing', groupKey: '{}:{alertname="HeapHigh"}', groupLabels: { alertname: 'HeapHigh' }, commonLabels: amAlert.labels, commonAnnotations: amAlert.annotations, externalURL: 'http://alertmanager:9093', alerts: [amAlert, { ...amAlert, labels: { ...amAlert.labels, instance: 'app-2' }, fingerprint: 'b2cd59586c31f84e' }] };
    const datadog = { id: '5485379890863845239', title: '[Triggered] acme-prod heap high', body: 'The monitor was last triggered at Wed Jun 03 2020 20:43:04 UTC.', event_type: 'query_alert_monitor', date: '1591216985000', org: { id: '415600', name: 'Acme' } };
    it.each([
      ['alertmanager', 'a group of two firing alerts', alertmanager, 2],
      ['datadog', 'the default template', datadog, 1],
    ] as const)('/%s accepts %s and queues every alert', async (route, _what, payload, count) => {
      const r = await post(`/${route}`, JSON.stringify(payload));
      expect(r.status).toBe(202);
      expect(((await r.json()) as { accepted?: number }).accepted).toBe(count);
      expect(enqueued.flat()).toHaveLength(count);
      expect(dead).toHaveLength(0);
    });

    it.each([
      ['alertmanager', 'a group whose status is neither firing nor resolved', { ...alertmanager, status: 'pending' }, /status must be/],
      ['datadog', 'a custom template without an alert id', { title: 'DOWN', body: '%%% DOWN %%%', tags: 'env:acme-prod' }, /no alert id/],
    ] as const)('/%s refuses %s with the reason, and dead-letters the body as received', async (route, _what, payload, reason) => {
      const body = JSON.stringify(payload);
      const r = await post(`/${route}`, body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error?: string }).error).toMatch(reason);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.body).toBe(body);
      expect(enqueued).toHaveLength(0);
    });

    it('compares the bearer token in constant time and only as a whole', () => {
      expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
      expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
      expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
      expect(bearerMatches(`Bearer ${TOKEN}0`, TOKEN)).toBe(false);
      expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
      expect(bearerMatches(undefined, TOKEN)).toBe(false);
    });

    it('answers 401 before reading the body, and keeps nothing of unauthenticated requests', async () => {
      const r = await post('/generic', '{"not": "even checked"}', { authorization: 'Bearer nope' });
      expect(r.status).toBe(401);
      expect(dead).toHaveLength(0);
      expect(await rejectedCount('generic', 'token')).toBe(1);
    });

    it('opens each endpoint only to its own source\'s token: the datadog token cannot post to /alerts/alertmanager', async () => {
      const body = JSON.stringify(alertmanager);
      const r = await post('/alertmanager', body, { authorization: `Bearer ${TOKENS.datadog}` });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: string }).error).toBe('missing or wrong Authorization: Bearer <the alertmanager alert token>');
      expect((await post('/generic', JSON.stringify({ id: 'a', status: 'firing', title: 'T' }), { authorization: `Bearer ${TOKENS.datadog}` })).status).toBe(401);
      expect(enqueued).toHaveLength(0);
      expect(await rejectedCount('alertmanager', 'token')).toBe(1);
      expect(await rejectedCount('generic', 'token')).toBe(1);
      expect((await post('/alertmanager', body, { authorization: `Bearer ${TOKENS.alertmanager}` })).status).toBe(202);
    });

    it('answers 401 saying how to enable a source that has no token', async () => {
      const r = await fetch(`${base}/closed/datadog`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.datadog}` }, body: '{}' });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: string }).error).toMatch(/intake from datadog is disabled: set MEDIC_ALERT_TOKEN, or alerts\.sources\.datadog\.tokenEnv/);
    });

    it('answers 202 only once the enqueue resolved, and 503 when it failed', async () => {
      let release!: () => void;
      let released = false;
      let respondedBeforeRelease: boolean | undefined;
      enqueueImpl = (a) =>
        new Promise((resolve) => {
          release = () => {
            released = true;
            resolve({ created: a.length, duplicates: 0 });
          };
        });
      const pending = post('/generic', JSON.stringify({ id: 'a', status: 'firing', title: 'T' })).then((r) => {
        respondedBeforeRelease = !released;
        return r;
      });
      while (!release) await new Promise((r) => setImmediate(r));
      // Give a too-early answer every chance to arrive while the enqueue is still pending.
      await new Promise((r) => setTimeout(r, 100));
      expect(respondedBeforeRelease).toBeUndefined();
      release();
      expect((await pending).status).toBe(202);
      // The response came only after the enqueue resolved.
      expect(respondedBeforeRelease).toBe(false);
      enqueueImpl = async () => {
        throw new Error('redis down');
      };
      expect((await post('/generic', JSON.stringify({ id: 'a', status: 'firing', title: 'T' }))).status).toBe(503);
    });

    it('documents the generic payload by refusing unknown fields by name', async () => {
      const r = await post('/generic', JSON.stringify({ id: 'a', status: 'firing', title: 'T', sevrity: 'critical' }));
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toContain('sevrity');
    });

    it('answers 413 to a body over the limit', async () => {
      const r = await post('/generic', JSON.stringify({ id: 'a', status: 'firing', title: 'x'.repeat(1_100_000) }));
      expect(r.status).toBe(413);
    });

    it('accepts the shipped Datadog template as Datadog fills it', async () => {
      const template = readFileSync(new URL('../../../docs/datadog-webhook-template.json', import.meta.url), 'utf8');
      const filled = template
        .replace('$ID', '6170185738431930000')
        .replace('$ALERT_ID', '25562336')
        .replace('$ALERT_TRANSITION', 'Triggered')
        .replace('$ALERT_CYCLE_KEY', '7045542302418300000')
        .replace('$AGGREG_KEY', 'a3fd7ab7c6d8b4a5')
        .replace('$EVENT_TITLE', '[Triggered on {host:app-1,env:acme-prod}] JVM heap high')
        .replace('$ALERT_TYPE', 'error')
        .replace('$ALERT_PRIORITY', 'P2')
        .replace('$ALERT_SCOPE', 'host:app-1,env:acme-prod')
        .replace('$HOSTNAME', 'app-1')
        .replace('$TAGS', 'env:acme-prod,service:checkout,team:sre')
        .replace('$LINK', 'https://app.datadoghq.com/event/event?id=6170185738431930000')
        .replace('$DATE', '1605070580000')
        .replace('$ORG_ID', '11287');
      const r = await post('/datadog', filled);
      expect(r.status).toBe(202);
      const [a] = enqueued.flat();
      expect(a).toMatchObject({ source: 'datadog', id: '25562336', cycle: '7045542302418300000', status: 'firing', title: 'JVM heap high', severity: 'critical', environment: 'acme-prod', target: 'app-1', service: 'checkout' });
      const recovered = filled.replace('"Triggered"', '"Recovered"');
      await post('/datadog', recovered);
      const [, b] = enqueued.flat();
      expect(b!.status).toBe('resolved');
      expect(b!.fingerprint).toBe(a!.fingerprint);
      expect(b!.deliveryKey).not.toBe(a!.deliveryKey);
    });
  });

  describe('SNS', () => {
    const envelope = (over: Partial<SnsEnvelope> = {}): Omit<SnsEnvelope, 'Signature'> => ({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: TOPIC,
      Subject: 'ALARM: "acme-prod app-1 heap high" in EU (Ireland)',
      Message: alarm('ALARM'),
      Timestamp: new Date(now).toISOString(),
      SignatureVersion: '2',
      SigningCertURL: CERT_URL,
      UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x`,
      ...over,
    });
    const postSns = (m: SnsEnvelope) => post('/sns', JSON.stringify(m), { 'content-type': 'text/plain; charset=UTF-8' });

    it('confirms a signed subscription by fetching its SubscribeURL on the SNS host', async () => {
      const subscribe = `https://sns.${REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=abc`;
      const m = sign({ ...envelope(), Type: 'SubscriptionConfirmation', Subject: undefined, Message: 'You have chosen to subscribe...', Token: 'abc', SubscribeURL: subscribe }, sns.keyPem);
      const r = await postSns(m);
      expect(r.status).toBe(200);
      expect(fetched).toContain(subscribe);
    });

    it('refuses a confirmation whose SubscribeURL is not on an SNS host, without fetching it', async () => {
      const evil = 'https://sns.eu-west-1.amazonaws.com.evil.example/?Action=ConfirmSubscription';
      const r = await postSns(sign({ ...envelope(), Type: 'SubscriptionConfirmation', Subject: undefined, Token: 't', SubscribeURL: evil }, sns.keyPem));
      expect(r.status).toBe(403);
      expect(fetched).not.toContain(evil);
    });

    it.each(['1', '2'] as const)('turns a CloudWatch alarm signed with SignatureVersion %s into an alert', async (v) => {
      const r = await postSns(sign(envelope({ SignatureVersion: v }), sns.keyPem));
      expect(r.status).toBe(202);
      const [a] = enqueued.flat();
      expect(a).toMatchObject({ source: 'sns', status: 'firing', environment: 'acme-prod', target: 'i-0123456789abcdef0', service: 'checkout', title: 'acme-prod app-1 heap high' });
      expect(a!.link).toContain('region=eu-west-1');
    });

    it('fetches the signing certificate once and caches it', async () => {
      let fetches = 0;
      const v = createSnsVerifier({ regions: [REGION], now: () => now, fetcher: async () => ((fetches += 1), { status: 200, body: sns.certPem }) });
      await Promise.all([1, 2, 3].map(() => v.verify(sign(envelope(), sns.keyPem))));
      await v.verify(sign(envelope({ Message: alarm('OK') }), sns.keyPem));
      expect(fetches).toBe(1);
    });

    it('rejects a message signed by another key (forged) and a tampered one, keeping nothing but the count', async () => {
      const forged = await postSns(sign(envelope(), attacker.keyPem));
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { error: string }).error).toMatch(/signature does not match/);
      expect(await rejectedCount('sns', 'signature')).toBe(1);
      const good = sign(envelope(), sns.keyPem);
      const tampered = await postSns({ ...good, Message: alarm('OK') });
      expect(tampered.status).toBe(403);
      expect(await rejectedCount('sns', 'signature')).toBe(2);
      expect(enqueued).toHaveLength(0);
      expect(dead).toHaveLength(0);
      expect(seen.size).toBe(0);
    });

    it('never fetches a certificate from a foreign host', async () => {
      const foreign = 'https://attacker.example/SimpleNotificationService.pem';
      for (const url of [foreign, `http://sns.${REGION}.amazonaws.com/cert.pem`, `https://sns.us-east-1.amazonaws.com/cert.pem`, `https://sns.${REGION}.amazonaws.com/cert.txt`]) {
        const r = await postSns(sign(envelope({ SigningCertURL: url }), attacker.keyPem));
        expect(r.status).toBe(403);
      }
      expect(fetched.filter((u) => u !== CERT_URL)).toEqual([]);
      expect(enqueued).toHaveLength(0);
    });

    it('rejects a replay: a message seen before is not processed again, an old one is refused', async () => {
      const m = sign(envelope(), sns.keyPem);
      expect((await postSns(m)).status).toBe(202);
      const again = await postSns(m);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ duplicate: true });
      expect(enqueued).toHaveLength(1);
      const old = sign(envelope({ Timestamp: new Date(now - 2 * 3600_000).toISOString() }), sns.keyPem);
      const r = await postSns(old);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/too old/);
      expect(enqueued).toHaveLength(1);
    });

    it('refuses topics it does not subscribe to', async () => {
      const r = await postSns(sign(envelope({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:other' }), sns.keyPem));
      expect(r.status).toBe(403);
    });

    it('answers 400 to a body that is not an SNS message, keeping nothing of it but the count (anyone can post here)', async () => {
      const r = await post('/sns', JSON.stringify({ hello: 'world' }));
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/not an SNS message/);
      expect((await post('/sns', 'not json')).status).toBe(400);
      expect(dead).toHaveLength(0);
      expect(await rejectedCount('sns', 'not-sns')).toBe(2);
    });

    it('dead-letters a signed message that is not a CloudWatch alarm: an honest sender\'s mistake', async () => {
      const r = await postSns(sign(envelope({ Message: '{"hello":"world"}' }), sns.keyPem));
      expect(r.status).toBe(400);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.reason).toMatch(/not a CloudWatch alarm/);
      expect(await rejectedCount('sns', 'payload')).toBe(1);
    });
  });
});

describe('a generated RSA key is not a certificate', () => {
  it('is refused as a signing certificate body', async () => {
    // Guards the PEM parse path: a key where a certificate should be must not verify anything.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const v = createSnsVerifier({ regions: [REGION], now: () => Date.now(), fetcher: async () => ({ status: 200, body: publicKey.export({ type: 'spki', format: 'pem' }).toString() }) });
    const m = { ...sign({ Type: 'Notification', MessageId: 'm', TopicArn: TOPIC, Message: '{}', Timestamp: new Date().toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL }, makeCert().keyPem) };
    await expect(v.verify(m)).rejects.toThrow(/not a PEM certificate/);
  });
});
