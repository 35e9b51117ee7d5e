import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSpace, Message } from '../../src/local-space/local-space.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, REDIS_URL, startHarness, type Harness } from '../support/medic-harness.js';

const TOKEN = 'test-alert-token-0123456789abcdef';
/** Datadog has its own token (alerts.sources.datadog); the other sources use MEDIC_ALERT_TOKEN. */
const DD_TOKEN = 'datadog-token-0123456789abcdef01';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-e2e.pem';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:medic-alarms';

/** A key and self-signed certificate standing in for SNS's (served by the injected fetcher). */
function snsKeyPair(): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'medic-sns-e2e-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
    return { keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'), certPem: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const SNS = snsKeyPair();

function signedNotification(message: string): Record<string, string> {
  const m: Record<string, string> = { Type: 'Notification', MessageId: randomUUID(), TopicArn: TOPIC, Subject: 'ALARM', Message: message, Timestamp: new Date().toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL };
  const canonical = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'].map((k) => `${k}\n${m[k]}\n`).join('');
  return { ...m, Signature: createSign('RSA-SHA256').update(canonical).sign(SNS.keyPem, 'base64') };
}

const configFor = (space: LocalSpace) => `
environments:
  demo:
    client: Demo
    incidentSpace: ${space.rooms.group.id}
    tiers:
      app:
        targets: { instanceIds: [local] }
  # No tiers: \`health shop\` fails every time, the failing remediation the breaker test needs.
  shop:
    incidentSpace: ${space.rooms.group.id}
  # The only environment the route demo-only may act on.
  guarded:
    incidentSpace: ${space.rooms.group.id}
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
alerts:
  groupWindowSeconds: 60
  followUpSeconds: 1
  defaultSpace: ${space.rooms.group.id}
  sns: { regions: [eu-west-1], topicArns: [${TOPIC}] }
  sources:
    datadog: { tokenEnv: DATADOG_ALERT_TOKEN }
routes:
  - name: demo-only
    match: { tags: { team: guarded } }
    runbooks: [ping]
    environments: [guarded]
    mode: diagnose
  - name: app-health
    match: { title: 'health check' }
    runbooks: [ping]
    mode: diagnose
  - name: db-auto
    match: { tags: { team: dba } }
    runbooks: ['health {env}']
    mode: auto-remediate
    breakerFailures: 2
  - name: budgeted
    match: { tags: { team: budget } }
    runbooks: [ping]
    mode: auto-remediate
    budget: { max: 1, windowMinutes: 60 }
  - name: storm
    match: { tags: { storm: '*' } }
    runbooks: [ping]
    mode: diagnose
  - name: kafka
    match: { title: 'under-replicated' }
    mode: notify
`;

interface Generic {
  id: string;
  status: 'firing' | 'resolved';
  title: string;
  severity?: string;
  environment?: string;
  target?: string;
  tags?: Record<string, string>;
  cycle?: string;
  link?: string;
}

describe('alerts become incident threads, diagnoses and remediations', () => {
  let h: Harness;
  let base: string;
  let redis: Redis;
  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const alert = (a: Generic) => post('/alerts/generic', a);
  const fromBot = (m: Message) => m.personId === h.space.bot.id;
  const text = (m: Message) => `${m.markdown ?? m.text ?? ''}\n${cardText(cardOf(m))}`;
  /** The first card of the incident whose title contains `title`. */
  const incidentCard = (title: string, timeoutMs = 15_000) => h.space.waitForMessage((m) => fromBot(m) && !m.parentId && text(m).includes(title) && text(m).includes('What Medic is doing'), timeoutMs);
  const inThread = (card: Message, pred: (t: string) => boolean, timeoutMs = 15_000) => h.space.waitForMessage((m) => fromBot(m) && m.parentId === card.id && pred(text(m)), timeoutMs);

  beforeAll(async () => {
    h = await startHarness({
      configYaml: configFor,
      env: { MEDIC_ALERT_TOKEN: TOKEN, DATADOG_ALERT_TOKEN: DD_TOKEN },
      overrides: { alertFetcher: async (url) => (url === CERT_URL ? { status: 200, body: SNS.certPem } : { status: 404, body: '' }) },
    });
    base = `http://127.0.0.1:${h.medic.port}`;
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await h?.stop();
  });

  it('refuses requests without the bearer token, or with another one', async () => {
    const body = { id: 'x', status: 'firing', title: 't' };
    expect((await post('/alerts/generic', body, {})).status).toBe(401);
    expect((await post('/alerts/datadog', body, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('/alerts/alertmanager', body, { authorization: TOKEN })).status).toBe(401);
  });

  it('opens each endpoint only to its source\'s token: the datadog token cannot post to /alerts/alertmanager', async () => {
    const am = { status: 'firing', receiver: 'medic', alerts: [{ status: 'firing', labels: { alertname: 'TokenProbe', env: 'env-token' }, startsAt: new Date().toISOString() }] };
    const withDd = await post('/alerts/alertmanager', am, { authorization: `Bearer ${DD_TOKEN}` });
    expect(withDd.status).toBe(401);
    expect((await post('/alerts/generic', { id: 'p', status: 'firing', title: 'TokenProbe' }, { authorization: `Bearer ${DD_TOKEN}` })).status).toBe(401);
    // MEDIC_ALERT_TOKEN is the fallback for sources without their own, not a master key for the others.
    expect((await post('/alerts/datadog', { alert_id: '1', title: 'TokenProbe', transition: 'Triggered' })).status).toBe(401);
    expect((await post('/alerts/datadog', { alert_id: '1', title: '[Triggered] TokenProbe dd', transition: 'Triggered', tags: 'env:env-token' }, { authorization: `Bearer ${DD_TOKEN}` })).status).toBe(202);
    expect((await post('/alerts/alertmanager', am)).status).toBe(202);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/medic_alerts_rejected_total\{source="alertmanager",reason="token"\} [1-9]/);
  });

  it('a route limited to one environment refuses an alert for another: audited, nothing enqueued on runbooks', async () => {
    const guarded = (id: string, environment: string) => alert({ id, status: 'firing', title: `Guarded ${id}`, environment, tags: { team: 'guarded' } });
    expect((await guarded('g-other', 'env-elsewhere')).status).toBe(202);
    const refused = await incidentCard('Guarded g-other');
    expect(text(refused)).toContain('not running `ping` (route `demo-only` may act on guarded only; this alert names "env-elsewhere")');
    // The same route acts on its own environment: its job runs and answers in the thread.
    await guarded('g-ok', 'guarded');
    await inThread(await incidentCard('Guarded g-ok'), (x) => x.includes('pong'));
    const audit = (await redis.xrange(`${h.prefix}:audit`, '-', '+')).map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))) as Record<string, string>);
    const refusals = audit.filter((e) => e.type === 'refused' && e.actor === 'service:route:demo-only');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ env: 'env-elsewhere', roomId: refused.roomId });
    expect(refusals[0]!.detail).toContain('Guarded g-other');
    const jobs = await h.medic.queues.runbooks.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    const routeJobs = jobs.filter((j) => j.data.actor.type === 'service' && j.data.actor.name === 'route:demo-only');
    expect(routeJobs.map((j) => j.data.replyTo?.parentId)).not.toContain(refused.id);
    expect(routeJobs).toHaveLength(1);
  });

  it('answers 400 naming the problem to a malformed payload and keeps it in the dead-letter list', async () => {
    const r = await post('/alerts/alertmanager', { receiver: 'x', alerts: [{ labels: { alertname: 'A' } }] });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/status must be "firing" or "resolved"/);
    const notJson = await post('/alerts/generic', '{"id": ');
    expect(notJson.status).toBe(400);
    const dead = (await redis.lrange(`${h.prefix}:alerts:dead`, 0, -1)).map((s) => JSON.parse(s) as { route: string; reason: string; body: string });
    expect(dead.map((d) => d.route)).toEqual(['generic', 'alertmanager']);
    expect(dead[1]!.body).toContain('"alertname":"A"');
    expect(dead[0]!.reason).toMatch(/not JSON/);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const r = await alert({ id: 'big', status: 'firing', title: 'x'.repeat(1024 * 1024 + 10) });
    expect(r.status).toBe(413);
  });

  it('refuses and dead-letters an alert whose label value is not one word its argument accepts, running nothing', async () => {
    const before = await redis.llen(`${h.prefix}:alerts:dead`);
    // Pasted into `health {env}` and parsed again, this became `health shop app`: a health check of tier app.
    expect((await alert({ id: 'split', status: 'firing', title: 'DB slow split-env', environment: 'shop app', tags: { team: 'dba' } })).status).toBe(202);
    const card = await incidentCard('DB slow split-env');
    expect(text(card)).toContain('not running `health {env}` ({env} is "shop app": one word is expected for <env>, without spaces)');
    // The dead letter is written just after the card is posted.
    for (const until = Date.now() + 15_000; (await redis.llen(`${h.prefix}:alerts:dead`)) === before && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const dead = (await redis.lrange(`${h.prefix}:alerts:dead`, 0, -1)).map((x) => JSON.parse(x) as { route: string; reason: string; body: string });
    expect(dead.length).toBe(before + 1);
    expect(dead[0]).toMatchObject({ route: 'generic' });
    expect(dead[0]!.reason).toMatch(/^route db-auto: `health \{env\}`: \{env\} is "shop app"/);
    expect(dead[0]!.body).toContain('"environment":"shop app"');
    const jobs = await h.medic.queues.runbooks.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    expect(jobs.filter((j) => j.data.replyTo?.parentId === card.id)).toEqual([]);
  });

  it('opens an incident with a card in the incident space and runs the diagnosis in its thread', async () => {
    const r = await alert({ id: 'hc-1', status: 'firing', title: 'Application health check failing', severity: 'critical', environment: 'demo', target: 'i-0abc12345', link: 'https://monitoring.example.com/hc-1', cycle: 'c1' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ accepted: 1, created: 1 });
    const card = await incidentCard('Application health check failing');
    expect(card.roomId).toBe(h.space.rooms.group.id);
    expectValidCard({ card: cardOf(card), text: card.markdown ?? '' });
    const t = text(card);
    for (const s of ['critical', 'Environment: demo', 'Target: i-0abc12345', 'app-health, diagnose', 'running `ping`', '[Open the monitor]']) expect(t).toContain(s);
    const pong = await inThread(card, (x) => x.includes('pong'));
    expect(pong.roomId).toBe(card.roomId);
  });

  it('opens an incident for a signed CloudWatch alarm from SNS, once however often SNS redelivers it', async () => {
    const message = JSON.stringify({
      AlarmName: 'shop app-1 heap above 90%',
      AlarmDescription: 'env:env-sns service:checkout',
      NewStateValue: 'ALARM',
      StateChangeTime: new Date().toISOString(),
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-app-1-heap',
      Trigger: { Dimensions: [{ name: 'InstanceId', value: 'i-0123456789abcdef0' }] },
    });
    const n = signedNotification(message);
    const first = await post('/alerts/sns', n, { 'content-type': 'text/plain; charset=UTF-8' });
    expect(first.status).toBe(202);
    const again = await post('/alerts/sns', n, { 'content-type': 'text/plain; charset=UTF-8' });
    expect(again.status).toBe(200);
    const card = await incidentCard('shop app-1 heap above 90%');
    expect(text(card)).toContain('Target: i-0123456789abcdef0');
    expect(text(card)).toContain('Environment: env-sns');
  });

  it('answers a forged SNS message 403 and keeps nothing of it but the count', async () => {
    const rejected = async () => Number(/medic_alerts_rejected_total\{source="sns",reason="signature"\} (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0);
    const before = { dead: await redis.llen(`${h.prefix}:alerts:dead`), count: await rejected() };
    const message = JSON.stringify({ AlarmName: 'forged', NewStateValue: 'ALARM', AlarmDescription: 'env:demo' });
    const forged = await post('/alerts/sns', { ...signedNotification(message), Message: message.replace('ALARM', 'OK') }, { 'content-type': 'text/plain' });
    expect(forged.status).toBe(403);
    expect(await redis.llen(`${h.prefix}:alerts:dead`)).toBe(before.dead);
    expect(await rejected()).toBe(before.count + 1);
  });

  it('tells a resolved transition in the thread, with its duration', async () => {
    await alert({ id: 'hc-2', status: 'firing', title: 'Checkout health check failing', environment: 'env-resolve', cycle: 'c1' });
    const card = await incidentCard('Checkout health check failing');
    expect((await alert({ id: 'hc-2', status: 'resolved', title: 'Checkout health check failing', environment: 'env-resolve', cycle: 'c1' })).status).toBe(202);
    const resolved = await inThread(card, (x) => x.includes('Resolved after'));
    expect(text(resolved)).toMatch(/Resolved after \d+ s: Checkout health check failing/);
    expect(text(resolved)).toContain('Every alert of this incident is resolved');
  });

  it('joins alerts of one environment within the window into one thread and summarises them in one follow-up', async () => {
    await alert({ id: 'g-1', status: 'firing', title: 'Kafka under-replicated partitions', environment: 'env-group', target: 'broker-1' });
    const card = await incidentCard('Kafka under-replicated partitions');
    const more = await Promise.all(['broker-2', 'broker-3', 'broker-4'].map((b) => alert({ id: 'g-1', status: 'firing', title: 'Kafka under-replicated partitions', environment: 'env-group', target: b })));
    expect(more.map((r) => r.status)).toEqual([202, 202, 202]);
    const followUps = () => h.space.messages({ roomId: card.roomId }).filter((m) => fromBot(m) && m.parentId === card.id && text(m).includes('joined this incident'));
    const named = () => followUps().flatMap((m) => cardText(cardOf(m)).split('\n').filter((l) => l.startsWith('• ')));
    await h.space.waitForMessage(() => named().length >= 3);
    // One follow-up per batch (the three arrive within one or two batch intervals), never one per alert.
    expect(followUps().length).toBeLessThanOrEqual(2);
    expect(named().map((l) => /on (broker-\d)/.exec(l)?.[1]).sort()).toEqual(['broker-2', 'broker-3', 'broker-4']);
    expect(text(followUps().at(-1)!)).toMatch(/4 alerts in this incident, 4 still firing/);
    const standalone = h.space.messages({ roomId: card.roomId }).filter((m) => fromBot(m) && !m.parentId && text(m).includes('Kafka under-replicated partitions'));
    expect(standalone).toHaveLength(1);
  });

  it('turns a storm of 5,000 deliveries of 50 distinct alerts into exactly 50 incidents and 50 jobs', async () => {
    const distinct = Array.from({ length: 50 }, (_, i) => ({
      id: `storm-${i}`,
      status: 'firing' as const,
      title: `Storm alert ${String(i).padStart(2, '0')} health`,
      environment: `storm-${i}`,
      target: `i-0000${String(i).padStart(4, '0')}`,
      tags: { storm: 'yes' },
      cycle: 'c1',
    }));
    const deliveries = Array.from({ length: 5000 }, (_, i) => distinct[i % 50]!);
    const statuses: number[] = [];
    let created = 0;
    let next = 0;
    // 200 concurrent senders over loopback.
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next < deliveries.length) {
          const a = deliveries[next++]!;
          const r = await alert(a);
          statuses.push(r.status);
          created += ((await r.json()) as { created: number }).created;
        }
      }),
    );
    expect(statuses).toHaveLength(5000);
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(created).toBe(50);
    const isStormCard = (m: Message) => fromBot(m) && !m.parentId && /Storm alert \d\d health/.test(text(m)) && text(m).includes('What Medic is doing');
    await h.space.waitForMessage(() => h.space.messages().filter(isStormCard).length >= 50, 60_000);
    // Every card's ping answer in its thread: the jobs ran, once each.
    const cards = h.space.messages().filter(isStormCard);
    await h.space.waitForMessage(() => h.space.messages().filter((m) => fromBot(m) && cards.some((c) => c.id === m.parentId) && text(m).includes('pong')).length >= 50, 60_000);
    const alertsQueue = new Queue('alerts', { connection: redis, prefix: h.prefix });
    try {
      const counts = await alertsQueue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      expect(counts.failed).toBe(0);
      const jobs = await h.medic.queues.runbooks.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
      const stormJobs = jobs.filter((j) => j.data.actor.type === 'service' && j.data.actor.name === 'route:storm');
      expect(stormJobs).toHaveLength(50);
      expect(new Set(stormJobs.map((j) => j.data.replyTo?.parentId)).size).toBe(50);
    } finally {
      await alertsQueue.close();
    }
    expect(h.space.messages().filter(isStormCard)).toHaveLength(50);
    expect(new Set(h.space.messages().filter(isStormCard).map((m) => /Storm alert (\d\d)/.exec(text(m))?.[1])).size).toBe(50);
  });

  it('opens the circuit breaker after repeated failed auto-remediations and asks for approval from then on', async () => {
    const fire = (id: string) => alert({ id, status: 'firing', title: `DB slow ${id}`, environment: 'shop', tags: { team: 'dba' } });
    const resolve = (id: string) => alert({ id, status: 'resolved', title: `DB slow ${id}`, environment: 'shop', tags: { team: 'dba' } });
    await fire('db-a');
    const a = await incidentCard('DB slow db-a');
    expect(text(a)).toContain('running `health shop`');
    await inThread(a, (x) => x.includes('has no tiers to check'));
    await resolve('db-a');
    await inThread(a, (x) => x.includes('Resolved after'));
    await fire('db-b');
    const b = await incidentCard('DB slow db-b');
    const breaker = await inThread(b, (x) => x.includes('switched to approval mode'));
    expect(text(breaker)).toContain('failed 2 times in a row');
    await resolve('db-b');
    await inThread(b, (x) => x.includes('Resolved after'));
    await fire('db-c');
    const c = await incidentCard('DB slow db-c');
    expect(text(c)).toContain('asking approval to run `health shop`');
    expect(text(c)).toContain('circuit breaker open');
    await inThread(c, (x) => /approv/i.test(x) && !x.includes('What Medic is doing'));
    await resolve('db-c');
    const done = await inThread(c, (x) => x.includes('Resolved after'));
    expect(text(done)).toContain('1 pending approval withdrawn');
  });

  it('asks for approval once a route budget for the target is spent, and says so in the thread', async () => {
    const fire = (id: string) => alert({ id, status: 'firing', title: `Heap high ${id}`, environment: 'demo-budget', target: 'i-0bbbbbbbb', tags: { team: 'budget' } });
    await fire('b-1');
    const first = await incidentCard('Heap high b-1');
    expect(text(first)).toContain('running `ping`');
    await inThread(first, (x) => x.includes('pong'));
    await alert({ id: 'b-1', status: 'resolved', title: 'Heap high b-1', environment: 'demo-budget', target: 'i-0bbbbbbbb', tags: { team: 'budget' } });
    await inThread(first, (x) => x.includes('Resolved after'));
    await fire('b-2');
    const second = await incidentCard('Heap high b-2');
    expect(text(second)).toContain('asking approval to run `ping`');
    const note = await inThread(second, (x) => x.includes('remediation budget spent'));
    expect(text(note)).toContain('1 automatic remediation of i-0bbbbbbbb per 60 min already ran');
  });
});
