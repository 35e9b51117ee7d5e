import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { checkRoutes } from '../../src/app/alerts/route-plans.js';
import { handleAlert, handleFollowUp, handleRouteJobOutcome, ThreadNotReadyError, type AlertDeps } from '../../src/app/handle-alert.js';
import { parseConfigFile } from '../../src/config.js';
import type { Alert } from '../../src/core/alert.js';
import type { OutgoingMessage } from '../../src/core/ports.js';
import { RouteSchema, type Route } from '../../src/core/routes.js';
import { createIncidentStore } from '../../src/queue/incidents.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';
import type { RunbookJobData } from '../../src/core/jobs.js';

const SAMPLE = new URL('../../config/medic.sample.yaml', import.meta.url);

/** A port the test does not expect to be used: any call fails the test with its name. */
function unused<T>(name: string): T {
  return new Proxy({}, { get: (_, k) => () => Promise.reject(new Error(`${name}.${String(k)} was not expected here`)) }) as T;
}

describe('route configuration', () => {
  it('the sample config parses, and its runbooks are known commands', () => {
    const { file, problems } = parseConfigFile(readFileSync(SAMPLE, 'utf8'), 'medic.sample.yaml');
    expect(problems).toEqual([]);
    expect(file!.routes.map((r) => r.name)).toEqual(['app-health', 'jvm-heap', 'disk-high', 'kafka-under-replicated', 'prod-catch-all']);
    expect(file!.routes.find((r) => r.name === 'kafka-under-replicated')!.mode).toBe('notify');
    expect(checkRoutes(file!.routes, COMMANDS)).toEqual([]);
  });

  it('names the route of an unknown runbook or a template with the wrong arguments', () => {
    const routes = [
      RouteSchema.parse({ name: 'good', runbooks: ['ping'] }),
      RouteSchema.parse({ name: 'typo', runbooks: ['helth {env}'] }),
      RouteSchema.parse({ name: 'arity', runbooks: ['ping {env}'] }),
    ];
    const problems = checkRoutes(routes, COMMANDS);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/routes\.1\.runbooks\.0: route `typo`: `helth \{env\}` is not a runbook Medic knows: I do not know the command.*Did you mean `health`/);
    expect(problems[1]).toMatch(/route `arity`.*takes at most 0 arguments/);
  });

  it('refuses unknown placeholders and duplicate route names in the file', () => {
    const { problems } = parseConfigFile('routes:\n  - { name: a, runbooks: ["health {region}"] }\n  - { name: a }\n', 'x.yaml');
    expect(problems.join('\n')).toMatch(/routes\.0\.runbooks\.0: placeholders are \{env\}, \{target\}, \{service\}/);
    expect(problems.join('\n')).toMatch(/route `a` is defined twice/);
  });
});

describe('handleAlert on real Redis', () => {
  let redis: Redis;
  let prefix: string;
  let now: number;
  let sent: OutgoingMessage[];
  let replies: Array<{ message: OutgoingMessage; dedupeKey?: string }>;
  let followUps: string[];
  let failNextSend: boolean;
  let deps: AlertDeps;
  const route = (r: Partial<Route> & { name: string }): Route => RouteSchema.parse(r);

  const alertOf = (over: Partial<Alert> = {}): Alert => {
    const base: Alert = {
      source: 'generic',
      id: 'rule-1',
      fingerprint: 'generic:rule-1:acme-prod:i-01',
      cycle: 'c1',
      status: 'firing',
      title: 'Kafka under-replicated partitions',
      severity: 'critical',
      environment: 'acme-prod',
      target: 'i-01',
      tags: {},
      receivedAt: now,
      deliveryKey: '',
      raw: '{}',
      ...over,
    };
    return { ...base, deliveryKey: `${base.fingerprint}|${base.cycle}|${base.status}` };
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(() => redis.disconnect());
  beforeEach(async () => {
    if (prefix) await cleanPrefix(prefix);
    prefix = `medic-test-${randomUUID().slice(0, 8)}`;
    now = 1_700_000_000_000;
    sent = [];
    replies = [];
    followUps = [];
    failNextSend = false;
    deps = {
      commands: COMMANDS,
      config: { access: [], spaces: {}, inventory: {} },
      policy: { expiryMinutes: 30, prodDestructiveApprovers: 1, budgets: [] },
      runbooks: unused('runbooks'),
      replies: {
        async enqueueReply(message, opts) {
          replies.push({ message, dedupeKey: opts?.dedupeKey });
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
          if (failNextSend) {
            failNextSend = false;
            throw new Error('Webex 503');
          }
          sent.push(m);
          return { id: `msg-${sent.length}` };
        },
      },
      routes: [route({ name: 'kafka', match: { title: 'under-replicated' }, mode: 'notify' })],
      settings: { groupWindowSeconds: 60, followUpSeconds: 5, defaultSpace: 'room-incidents', deadLetterMax: 10, sources: {} },
      scheduleFollowUp: async (id) => {
        followUps.push(id);
      },
    };
  });

  it('opens exactly one incident for 20 concurrent deliveries of the same alert', async () => {
    const a = alertOf();
    await Promise.all(Array.from({ length: 20 }, () => handleAlert(a, deps)));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.roomId).toBe('room-incidents');
    expect(sent[0]!.text).toContain('Kafka under-replicated partitions');
    expect(followUps).toEqual([]);
  });

  it('joins alerts of the environment within the window and announces them in one follow-up', async () => {
    await handleAlert(alertOf(), deps);
    now += 10_000;
    await Promise.all(['i-02', 'i-03'].map((t) => handleAlert(alertOf({ fingerprint: `generic:rule-1:acme-prod:${t}`, target: t }), deps)));
    expect(sent).toHaveLength(1);
    expect(new Set(followUps).size).toBe(1);
    await handleFollowUp(followUps[0]!, deps);
    const posted = replies.filter((r) => r.message.text.includes('joined this incident'));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.message.parentId).toBe('msg-1');
    expect(posted[0]!.message.text).toMatch(/2 more alerts joined/);
    expect(posted[0]!.message.text).toContain('on i-02');
    expect(posted[0]!.message.text).toContain('on i-03');
    await handleFollowUp(followUps[0]!, deps);
    expect(replies.filter((r) => r.message.text.includes('joined this incident'))).toHaveLength(1);
  });

  it('opens a new incident for the same environment once the window has passed', async () => {
    deps.settings = { ...deps.settings, groupWindowSeconds: 0 };
    await handleAlert(alertOf(), deps);
    await handleAlert(alertOf({ fingerprint: 'generic:rule-2:acme-prod:i-01', id: 'rule-2' }), deps);
    expect(sent).toHaveLength(2);
  });

  it('a follow-up that overtakes the first card waits for it (retried by the queue)', async () => {
    failNextSend = true;
    await expect(handleAlert(alertOf(), deps)).rejects.toThrow('Webex 503');
    await handleAlert(alertOf({ fingerprint: 'generic:rule-1:acme-prod:i-02', target: 'i-02' }), deps);
    await expect(handleFollowUp(followUps[0]!, deps)).rejects.toThrow(ThreadNotReadyError);
    // The opener's retry posts the card once; a later duplicate changes nothing.
    await handleAlert(alertOf(), deps);
    await handleAlert(alertOf(), deps);
    expect(sent).toHaveLength(1);
    await handleFollowUp(followUps[0]!, deps);
    expect(replies.filter((r) => r.message.text.includes('joined this incident'))).toHaveLength(1);
  });

  it('tells a resolution in the thread with its duration, and ignores resolutions it never saw fire', async () => {
    await handleAlert(alertOf(), deps);
    now += 95_000;
    await handleAlert(alertOf({ status: 'resolved' }), deps);
    await handleAlert(alertOf({ status: 'resolved' }), deps);
    const resolved = replies.filter((r) => r.message.text.includes('Resolved after'));
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.message.text).toMatch(/Resolved after 1 min 35 s: Kafka under-replicated partitions on i-01/);
    expect(resolved[0]!.message.parentId).toBe('msg-1');
    await handleAlert(alertOf({ fingerprint: 'generic:never:acme-prod:i-09', status: 'resolved' }), deps);
    expect(replies.filter((r) => r.message.text.includes('Resolved after'))).toHaveLength(1);
  });

  it('without a cycle key, a firing after its resolution is a new episode and a new incident', async () => {
    const noCycle = (status: 'firing' | 'resolved') => alertOf({ cycle: undefined, status });
    await handleAlert(noCycle('firing'), deps);
    await handleAlert(noCycle('firing'), deps);
    await handleAlert(noCycle('resolved'), deps);
    now += 1000;
    await handleAlert(noCycle('firing'), deps);
    expect(sent).toHaveLength(2);
  });

  it('with a cycle key, a late redelivery of the firing after the resolution opens nothing', async () => {
    await handleAlert(alertOf(), deps);
    await handleAlert(alertOf({ status: 'resolved' }), deps);
    await handleAlert(alertOf(), deps);
    expect(sent).toHaveLength(1);
  });

  it('drops an alert with no incident space, saying why in the log', async () => {
    deps.settings = { ...deps.settings, defaultSpace: undefined };
    const warnings: string[] = [];
    deps.log = { ...deps.log, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? ''), child: () => deps.log };
    await handleAlert(alertOf(), deps);
    expect(sent).toHaveLength(0);
    expect(warnings.join()).toMatch(/no incident space/);
  });

  it('counts each route job outcome once and opens the breaker after N failures in a row', async () => {
    deps.routes = [route({ name: 'auto', mode: 'auto-remediate', runbooks: ['ping'], breakerFailures: 2 })];
    const data: RunbookJobData = { request: { kind: 'system.ping', receivedAt: now }, actor: { type: 'service', name: 'route:auto' }, replyTo: { roomId: 'room-incidents', parentId: 'msg-9' }, risk: 'read', origin: 'x' };
    await handleRouteJobOutcome({ jobId: 'j1', data, ok: false }, deps);
    await handleRouteJobOutcome({ jobId: 'j1', data, ok: false }, deps); // the same event seen by a second replica
    expect(await deps.incidents.breakerOpen('auto')).toBe(false);
    await handleRouteJobOutcome({ jobId: 'j2', data, ok: false }, deps);
    expect(await deps.incidents.breakerOpen('auto')).toBe(true);
    const notes = replies.filter((r) => r.message.text.includes('switched to approval mode'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message.text).toContain('failed 2 times in a row');
    await handleRouteJobOutcome({ jobId: 'j3', data, ok: true }, deps);
    expect(await deps.incidents.breakerOpen('auto')).toBe(false);
    expect(replies.filter((r) => r.message.text.includes('back to automatic'))).toHaveLength(1);
  });

  it('spends a route budget atomically: 10 concurrent spends of a budget of 3 allow exactly 3', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => deps.incidents.spendBudget('auto', 'i-01', 3, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(3);
  });
});
