import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { checkRoutes, planRoute } from '../../src/app/alerts/route-plans.js';
import { handleAlert, handleFollowUp, handleRouteJobOutcome, ThreadNotReadyError, type AlertDeps } from '../../src/app/handle-alert.js';
import { parseConfigFile } from '../../src/config.js';
import type { Alert, DeadLetterEntry } from '../../src/core/alert.js';
import type { AuditEntry } from '../../src/core/approval.js';
import { InventorySchema, type Inventory } from '../../src/core/inventory.js';
import type { OutgoingMessage } from '../../src/core/ports.js';
import { RouteSchema, type Route } from '../../src/core/routes.js';
import { createRedisAuditLog } from '../../src/queue/audit.js';
import { createDeadLetters, createIncidentStore } from '../../src/queue/incidents.js';
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
    expect(file!.routes.map((r) => r.name)).toEqual(['app-health', 'jvm-oom', 'jvm-heap', 'disk-staging', 'disk-high', 'kafka-under-replicated', 'prod-catch-all']);
    expect(file!.routes.find((r) => r.name === 'kafka-under-replicated')!.mode).toBe('diagnose');
    expect(checkRoutes(file!.routes, COMMANDS, file!.environments)).toEqual([]);
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
    expect(problems.join('\n')).toMatch(/routes\.0\.runbooks\.0: placeholders are \{env\}, \{target\}, \{service\}; `\{region\}` is not one/);
    expect(problems.join('\n')).toMatch(/route `a` is defined twice/);
  });
});

const INVENTORY: Inventory = InventorySchema.parse({
  'acme-prod': {
    tags: { prod: true },
    tiers: { app: { targets: { instanceIds: ['i-0aaaaaaaaaaaaaaa1'] }, names: { 'i-0aaaaaaaaaaaaaaa1': 'app-1' }, jvm: { process: 'Bootstrap', restart: { method: 'systemctl', unit: 'tomcat' } } } },
    databases: { main: { urlEnv: 'ACME_PROD_DB_URL' } },
  },
  'acme-staging': { tiers: { app: { targets: { instanceIds: ['i-0bbbbbbbbbbbbbbb1'] }, jvm: { process: 'Bootstrap' } } } },
});

describe('route templates take alert values into argument positions', () => {
  const alertWith = (over: Partial<Alert>): Alert => ({
    source: 'generic',
    id: 'r',
    fingerprint: 'generic:r',
    status: 'firing',
    title: 'T',
    severity: 'critical',
    tags: {},
    receivedAt: 0,
    deliveryKey: 'k',
    raw: '{}',
    ...over,
  });
  const plan = (template: string, over: Partial<Alert>) => planRoute(RouteSchema.parse({ name: 'r', runbooks: [template] }), alertWith(over), COMMANDS, INVENTORY, 0)[0]!;

  it('plans a template whose values fit their arguments', () => {
    const p = plan('jvm threads {env} {target}', { environment: 'acme-prod', target: 'app-1' });
    expect('plan' in p && p.plan.request).toMatchObject({ kind: 'jvm.threads', env: 'acme-prod', target: 'app-1' });
    expect(p.text).toBe('jvm threads acme-prod app-1');
    const db = plan('db health {env}/main', { environment: 'acme-prod' });
    expect('plan' in db && db.plan.request).toEqual({ kind: 'db.health', env: 'acme-prod', db: 'main' });
  });

  // Pasted into `health {env}` and parsed again, `acme-prod app` became env acme-prod + tier app; pasted into
  // `jvm heap {env} {target}`, `app-1 because x` became target app-1 with a reason.
  it.each([
    ['health {env}', { environment: 'acme-prod app' }, /\{env\} is "acme-prod app": one word is expected for <env>/],
    ['jvm heap {env} {target}', { environment: 'acme-prod', target: 'app-1 because the alert says so' }, /\{target\} is "app-1 because the alert says so": one word/],
    ['health {env}', { environment: 'Acme-Prod' }, /\{env\} is "Acme-Prod", not a valid env: an environment name is lower-case/],
    ['health {env}', { environment: 'acme;reboot' }, /not a valid env/],
    ['jvm threads {env} {target}', { environment: 'acme-prod', target: '$(reboot)' }, /\{target\} is "\$\(reboot\)", not a valid target/],
    ['health {env}', { environment: 'a\tb' }, /one word/],
    ['db health {env}/main', { environment: 'acme-prod/other' }, /\{env\} is "acme-prod\/other": in <target> it must be letters, digits/],
    ['jvm heap {env} {target} because alert on {service}', { environment: 'acme-prod', target: 'app-1', service: 'checkout`**x**' }, /in the reason it must be letters/],
  ])('refuses `%s` with %j, saying which value does not fit', (template, over, problem) => {
    const p = plan(template, over);
    expect('plan' in p).toBe(false);
    expect(p).toMatchObject({ refused: true, text: template });
    expect('problem' in p && p.problem).toMatch(problem);
  });

  it('a value `because` is an argument like any other, never the start of a reason', () => {
    const p = plan('jvm threads {env} {target}', { environment: 'acme-prod', target: 'because' });
    expect('problem' in p && p.problem).toMatch(/`because` is not an instance of `acme-prod`/);
  });

  it('says which value an alert lacks, without refusing the alert', () => {
    const p = plan('jvm threads {env} {target}', { environment: 'acme-prod' });
    expect(p).toMatchObject({ problem: 'the alert has no target', refused: false });
  });
});

describe('what a route may act on (startup check)', () => {
  const check = (r: Record<string, unknown>) => checkRoutes([RouteSchema.parse({ name: 'r', ...r })], COMMANDS, INVENTORY);

  it('requires `environments` on a route that runs a change or destructive command', () => {
    expect(check({ runbooks: ['jvm oom {env} {target}'], mode: 'remediate-with-approval' })).toEqual([
      'routes.0: route `r` runs `jvm oom {env} {target}`, a destructive command: list the environments it may act on (`environments: [acme-prod, ...]`)',
    ]);
    expect(check({ runbooks: ['jvm heap acme-prod app-1'] })[0]).toMatch(/a change command: list the environments/);
    expect(check({ runbooks: ['jvm oom {env} {target}'], mode: 'remediate-with-approval', environments: ['acme-prod'] })).toEqual([]);
    expect(check({ runbooks: ['health {env}', 'jvm threads {env} {target}', 'db health {env}'] })).toEqual([]);
  });

  it('asks for `environments` when it cannot tell a template only reads', () => {
    expect(check({ runbooks: ['health {env} web'] })[0]).toMatch(/cannot tell whether `health \{env\} web` only reads \(.*no tier `web`.*\): list the environments/);
  });

  it('names environments the inventory does not have, and literal arguments that do not fit', () => {
    expect(check({ runbooks: ['health {env}'], environments: ['acme-prod', 'acme-qa'] })).toEqual(['routes.0.environments.1: route `r`: no environment named `acme-qa` (known: acme-prod, acme-staging)']);
    expect(check({ runbooks: ['health Acme'] })[0]).toMatch(/`health Acme` is not a runbook Medic knows: `Acme` is not a valid env/);
    expect(check({ runbooks: ['{env} health'] })[0]).toMatch(/is not a runbook Medic knows: I do not know the command/);
  });

  it('refuses stray braces in a template', () => {
    expect(RouteSchema.safeParse({ name: 'r', runbooks: ['health {env'] }).success).toBe(false);
    expect(RouteSchema.safeParse({ name: 'r', runbooks: ['health env}'] }).success).toBe(false);
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
      deadLetter: async () => {
        throw new Error('deadLetter was not expected here');
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
  describe('what a route may act on', () => {
    let enqueued: RunbookJobData[];
    let dead: DeadLetterEntry[];
    const audited = async (): Promise<AuditEntry[]> => createRedisAuditLog(redis, prefix, 1000).read({ limit: 50 });
    beforeEach(() => {
      enqueued = [];
      dead = [];
      deps.config = { access: [], spaces: {}, inventory: INVENTORY };
      deps.audit = createRedisAuditLog(redis, prefix, 1000);
      const letters = createDeadLetters(redis, prefix, 100);
      deps.deadLetter = async (e) => {
        dead.push(e);
        await letters.add(e);
      };
      deps.runbooks = {
        ...unused<AlertDeps['runbooks']>('runbooks'),
        async enqueueRunbook(jobId, data) {
          enqueued.push(data);
          return { id: jobId, created: true };
        },
      };
    });

    it('refuses an alert naming another environment than the route lists: audited, nothing enqueued', async () => {
      deps.routes = [route({ name: 'threads', match: { title: 'heap' }, runbooks: ['jvm threads {env} {target}'], environments: ['acme-prod'] })];
      await handleAlert(alertOf({ title: 'JVM heap high', fingerprint: 'generic:heap:staging', environment: 'acme-staging', target: 'i-0bbbbbbbbbbbbbbb1' }), deps);
      expect(enqueued).toEqual([]);
      expect(sent[0]!.text).toContain('not running `jvm threads {env} {target}` (route `threads` may act on acme-prod only; this alert names "acme-staging")');
      const refused = (await audited()).filter((e) => e.type === 'refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ actor: 'service:route:threads', env: 'acme-staging', roomId: 'room-incidents' });
      expect(refused[0]!.detail).toMatch(/^generic alert "JVM heap high": route `threads` may act on acme-prod only/);
      expect(dead).toEqual([]);
      // The same route acts on its own environment.
      now += 120_000;
      await handleAlert(alertOf({ title: 'JVM heap high', fingerprint: 'generic:heap:prod', environment: 'acme-prod', target: 'app-1' }), deps);
      expect(enqueued.map((d) => d.request)).toEqual([{ kind: 'jvm.threads', env: 'acme-prod', target: 'app-1', count: 3, intervalSeconds: 5 }]);
    });

    it('refuses an alert from a source the route does not list, rather than passing it to the next route', async () => {
      deps.routes = [
        route({ name: 'am-only', match: { title: 'heap' }, runbooks: ['jvm threads {env} {target}'], sources: ['alertmanager'] }),
        route({ name: 'fallback', runbooks: ['jvm threads {env} {target}'] }),
      ];
      await handleAlert(alertOf({ source: 'datadog', title: 'JVM heap high', environment: 'acme-prod', target: 'app-1' }), deps);
      expect(enqueued).toEqual([]);
      expect(sent[0]!.text).toContain('route `am-only` acts on alerts from alertmanager only; this one came from datadog');
      expect((await audited()).filter((e) => e.type === 'refused').map((e) => e.actor)).toEqual(['service:route:am-only']);
    });

    it('dead-letters and audits an alert whose value does not fit its argument, and runs nothing', async () => {
      deps.routes = [route({ name: 'hc', runbooks: ['health {env}'] })];
      const a = alertOf({ environment: 'acme-prod app', raw: '{"labels":{"env":"acme-prod app"}}' });
      await handleAlert(a, deps);
      expect(enqueued).toEqual([]);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ route: 'generic', body: '{"labels":{"env":"acme-prod app"}}', receivedAt: a.receivedAt });
      expect(dead[0]!.reason).toMatch(/^route hc: `health \{env\}`: \{env\} is "acme-prod app": one word is expected/);
      expect(await createDeadLetters(redis, prefix, 100).list()).toHaveLength(1);
      expect(sent[0]!.text).toContain('not running `health {env}`');
      expect((await audited()).filter((e) => e.type === 'refused')).toHaveLength(1);
    });

    it('refuses a change command of a route without `environments` even when the startup check was bypassed', async () => {
      deps.routes = [route({ name: 'dump', runbooks: ['jvm heap {env} {target}'], mode: 'remediate-with-approval' })];
      await handleAlert(alertOf({ environment: 'acme-prod', target: 'app-1' }), deps);
      expect(enqueued).toEqual([]);
      expect(sent[0]!.text).toContain('route `dump` lists no `environments`, so it may not run a change command');
      expect((await audited()).find((e) => e.type === 'refused')).toMatchObject({ env: 'acme-prod', actor: 'service:route:dump' });
    });
  });
});
