import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { handleAlert, type AlertDeps } from '../../src/app/handle-alert.js';
import type { Alert } from '../../src/core/alert.js';
import type { OutgoingMessage } from '../../src/core/ports.js';
import { RouteSchema } from '../../src/core/routes.js';
import { createIncidentStore } from '../../src/queue/incidents.js';
import { normalizeAlertmanager, normalizeCloudWatchAlarm, normalizeDatadog, normalizeGeneric } from '../../src/transport/alerts/index.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';

/** A port the test does not expect to be used: any call fails the test with its name. */
function unused<T>(name: string): T {
  return new Proxy({}, { get: (_, k) => () => Promise.reject(new Error(`${name}.${String(k)} was not expected here`)) }) as T;
}

// Payload times: the alert triggers at T and resolves at T + 5 min. Medic receives each a while later (its own
// clock), so only a duration taken from the payloads reads 5 min.
const T = Date.parse('2026-05-01T10:00:00Z');
const FIVE_MIN = 5 * 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** Each source's trigger and resolution, in its own payload format, through the real normalizers. */
const SOURCES: Record<string, { trigger: (receivedAt: number) => Alert[]; resolve: (receivedAt: number) => Alert[] }> = {
  datadog: {
    // Datadog's $DATE is the time of the notification's transition: the recovery's is when it recovered.
    trigger: (at) => normalizeDatadog({ alert_id: '4242', title: '[Triggered] CPU high on i-01', transition: 'Triggered', date: String(T), tags: 'env:acme-prod,host:i-01', cycle: 'k1' }, at),
    resolve: (at) => normalizeDatadog({ alert_id: '4242', title: '[Recovered] CPU high on i-01', transition: 'Recovered', date: String(T + FIVE_MIN), tags: 'env:acme-prod,host:i-01', cycle: 'k1' }, at),
  },
  alertmanager: {
    trigger: (at) => normalizeAlertmanager({ status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'CpuHigh', env: 'acme-prod', instance: 'i-01:9100' }, startsAt: iso(T), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'fp1' }] }, at),
    resolve: (at) => normalizeAlertmanager({ status: 'resolved', alerts: [{ status: 'resolved', labels: { alertname: 'CpuHigh', env: 'acme-prod', instance: 'i-01:9100' }, startsAt: iso(T), endsAt: iso(T + FIVE_MIN), fingerprint: 'fp1' }] }, at),
  },
  generic: {
    trigger: (at) => normalizeGeneric({ id: 'cpu-high', status: 'firing', title: 'CPU high', environment: 'acme-prod', target: 'i-01', cycle: 'g1', startedAt: T }, at),
    resolve: (at) => normalizeGeneric({ id: 'cpu-high', status: 'resolved', title: 'CPU high', environment: 'acme-prod', target: 'i-01', cycle: 'g1', endedAt: iso(T + FIVE_MIN) }, at),
  },
  'cloudwatch (SNS)': {
    // CloudWatch's StateChangeTime is when the alarm entered the new state: OK's is the end.
    trigger: (at) => normalizeCloudWatchAlarm(JSON.stringify({ AlarmName: 'cpu-high', AlarmDescription: 'env:acme-prod', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu-high', NewStateValue: 'ALARM', StateChangeTime: iso(T).replace('Z', '+0000') }), at),
    resolve: (at) => normalizeCloudWatchAlarm(JSON.stringify({ AlarmName: 'cpu-high', AlarmDescription: 'env:acme-prod', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu-high', NewStateValue: 'OK', StateChangeTime: iso(T + FIVE_MIN).replace('Z', '+0000') }), at),
  },
};

describe('resolution durations on real Redis', () => {
  let redis: Redis;
  let prefix = '';
  let now: number;
  let sent: OutgoingMessage[];
  let replies: OutgoingMessage[];
  let deps: AlertDeps;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    if (prefix) await cleanPrefix(prefix);
    redis.disconnect();
  });
  beforeEach(async () => {
    if (prefix) await cleanPrefix(prefix);
    prefix = `medic-test-${randomUUID().slice(0, 8)}`;
    sent = [];
    replies = [];
    deps = {
      commands: COMMANDS,
      config: { access: [], spaces: {}, inventory: {} },
      policy: { expiryMinutes: 30, prodDestructiveApprovers: 1, budgets: [] },
      runbooks: unused('runbooks'),
      replies: {
        async enqueueReply(message) {
          replies.push(message);
        },
      },
      approvals: { ...unused<AlertDeps['approvals']>('approvals'), listPending: async () => [] },
      budgets: unused('budgets'),
      audit: unused('audit'),
      jobs: unused('jobs'),
      scheduler: unused('scheduler'),
      clock: { now: () => now },
      log: { debug() {}, info() {}, warn() {}, error() {}, child: () => deps.log },
      incidents: createIncidentStore(redis, prefix),
      chat: {
        async send(m) {
          sent.push(m);
          return { id: `msg-${sent.length}` };
        },
      },
      routes: [RouteSchema.parse({ name: 'tell', match: {}, mode: 'notify' })],
      settings: { groupWindowSeconds: 60, followUpSeconds: 5, defaultSpace: 'room-incidents', deadLetterMax: 10, sources: {} },
      scheduleFollowUp: async () => {},
      deadLetter: () => Promise.reject(new Error('deadLetter was not expected here')),
    };
  });

  const deliver = async (alerts: Alert[]): Promise<void> => {
    expect(alerts).toHaveLength(1);
    await handleAlert(alerts[0]!, deps);
  };

  it.each(Object.keys(SOURCES))('%s: triggered at T, resolved at T+5 min, says resolved after 5 min', async (source) => {
    const s = SOURCES[source]!;
    now = T + 40_000; // received 40 s late
    await deliver(s.trigger(now));
    expect(sent).toHaveLength(1);
    now = T + 7 * 60_000; // the resolution arrives 2 min after it happened
    await deliver(s.resolve(now));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^✅ Resolved after 5 min 0 s: /);
    expect(replies[0]!.parentId).toBe('msg-1');
  });

  it('a trigger without a payload time starts at its first sighting', async () => {
    now = T;
    await deliver(normalizeGeneric({ id: 'no-time', status: 'firing', title: 'Disk full', environment: 'acme-prod', cycle: 'n1' }, now));
    now = T + 3 * 60_000;
    await deliver(normalizeGeneric({ id: 'no-time', status: 'resolved', title: 'Disk full', environment: 'acme-prod', cycle: 'n1' }, now));
    expect(replies[0]!.text).toMatch(/^✅ Resolved after 3 min 0 s: Disk full/);
  });

  it('a resolution with no known trigger says the start is unknown, once, in the space', async () => {
    now = T + 7 * 60_000;
    await deliver(SOURCES.datadog!.resolve(now));
    await deliver(SOURCES.datadog!.resolve(now + 1000)); // a repeat tells nothing new
    expect(sent).toHaveLength(0);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ roomId: 'room-incidents', parentId: undefined });
    expect(replies[0]!.text).toMatch(/^✅ Resolved: CPU high on i-01 on i-01 \(start unknown\)\nMedic has no record of this alert firing/);
    expect(replies[0]!.text).not.toMatch(/Resolved after/);
  });

  it('an Alertmanager resolution Medic never saw fire still carries its own start', async () => {
    now = T + 7 * 60_000;
    await deliver(SOURCES.alertmanager!.resolve(now));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^✅ Resolved after 5 min 0 s: CpuHigh on i-01\nMedic has no record of this alert firing/);
  });
});
