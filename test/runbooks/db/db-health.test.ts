import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import type { Inventory } from '../../../src/core/inventory.js';
import type { PgCollectOptions, PgConnection, PgPort, RdsMetrics } from '../../../src/core/pg-port.js';
import type { RunbookContext } from '../../../src/core/runbook.js';
import { createPgExecutor } from '../../../src/executors/pg.js';
import { runDbHealth } from '../../../src/runbooks/db/db-health.js';
import { previewDbCancel, previewDbKill, runDbCancel, runDbKill } from '../../../src/runbooks/db/db-signal.js';
import type { PgBackendView } from '../../../src/core/pg-port.js';
import type { PreflightContext } from '../../../src/core/runbook.js';
import { healthySnapshot, session } from '../../analyzers/pg/snapshot-fixture.js';

const inventory: Inventory = {
  'acme-prod': {
    tags: {},
    tiers: {},
    logGroups: [],
    databases: {
      main: { urlEnv: 'ACME_MAIN_URL', rds: { instanceId: 'acme-main', region: 'eu-west-1', iamAuth: false } },
      reports: { urlEnv: 'ACME_REPORTS_URL' },
      audit: { urlEnv: 'ACME_AUDIT_URL' },
    },
  },
  empty: { tags: {}, tiers: {}, logGroups: [], databases: {} },
};

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

function ctx(pg: PgPort | undefined, progress: string[] = []): RunbookContext {
  return {
    jobId: 'job-1',
    actor: { type: 'person', email: 'sre@acme.test' },
    signal: new AbortController().signal,
    inventory,
    services: { executor: { run: async () => ({ commandId: 'x', instances: [] }) }, ...(pg ? { pg } : {}) },
    log: silent,
    clock: { now: () => Date.UTC(2026, 10, 26, 12, 0) },
    progress: async (note) => void progress.push(note),
    workerId: 'worker-a:1',
  };
}

/** A fake port: per-URL snapshots or errors, recording what it was asked (never a real connection). */
function fakePort(over: Partial<PgPort> = {}) {
  const secrets: Record<string, string> = { ACME_MAIN_URL: 'postgres://u:pw@main.db:5432/main', ACME_REPORTS_URL: 'postgres://u:pw@reports.db:5432/reports' };
  const calls: Array<{ conn: PgConnection; opts: PgCollectOptions }> = [];
  const port: PgPort = {
    resolveSecret: (name) => secrets[name],
    collect: async (conn, opts) => {
      calls.push({ conn, opts });
      if (conn.url.includes('reports')) return healthySnapshot({ longRunning: [session(4242, { durationSec: 400 })] });
      return healthySnapshot();
    },
    inspect: async () => null,
    cancel: async (_conn, pid) => ({ pid, signalled: true, stopped: true, before: session(pid), waiters: [], detail: `The statement of pid ${pid} was cancelled; the session is now idle.` }),
    terminate: async (_conn, pid) => ({ pid, signalled: true, stopped: false, before: session(pid), waiters: [], detail: `pid ${pid} was signalled but is still connected after 5 s.` }),
    ...over,
  };
  return { port, calls };
}

describe('runDbHealth', () => {
  it('checks every database of the environment and reports worst first, each failure in its own report', async () => {
    const { port, calls } = fakePort();
    const progress: string[] = [];
    const result = await runDbHealth({ kind: 'db.health', env: 'acme-prod' }, ctx(port, progress));
    expect(result.reports.map((r) => [r.db, r.status])).toEqual([['audit', 'critical'], ['reports', 'critical'], ['main', 'unknown']]);
    expect(result.status).toBe('critical');
    // audit has no URL in the worker's environment: a finding naming the variable, no connection attempted.
    expect(result.reports[0]!.error!.message).toContain('environment variable ACME_AUDIT_URL is empty on worker worker-a:1');
    expect(calls.map((c) => c.conn.label).sort()).toEqual(['acme-prod/main', 'acme-prod/reports']);
    expect(calls[0]!.opts).toMatchObject({ longQuerySec: 60, idleInTransactionSec: 60, statementTimeoutMs: 5000, topN: 10 });
    expect(calls.find((c) => c.conn.label === 'acme-prod/main')!.conn.rds).toEqual({ instanceId: 'acme-main', region: 'eu-west-1', iamAuth: false });
    // main is RDS but this port has no CloudWatch reader: unknown, never ok.
    expect(result.reports[2]!.checks[0]).toMatchObject({ id: 'rds-metrics', status: 'unknown' });
    expect(result.reports[1]!.checks[0]).toMatchObject({ id: 'long-running', status: 'critical', pids: [4242] });
    expect(progress).toHaveLength(3);
    expect(result.summary).toContain('acme-prod/reports: 1 critical');
    const [att] = result.attachments!;
    expect(att!.name).toBe('db-health-acme-prod-20261126-1200.txt');
    expect(att!.contentType).toBe('text/plain');
    expect(att!.content).toContain('pid 4242');
    // Secrets stay out of results.
    expect(JSON.stringify(result)).not.toContain('pw@');
  });

  it('adds the RDS metrics and their grades for RDS databases', async () => {
    const metrics: RdsMetrics = { instanceId: 'acme-main', region: 'eu-west-1', from: 'a', to: 'b', series: [{ metric: 'CPUUtilization', points: [{ at: 'a', value: 97 }], latest: 97, max: 97, avg: 97 }] };
    const asked: string[] = [];
    const { port } = fakePort({ rdsMetrics: { lastHour: async (rds) => (asked.push(`${rds.instanceId}@${rds.region}`), metrics) }, thresholds: { rdsCpuCritical: 99 } });
    const result = await runDbHealth({ kind: 'db.health', env: 'acme-prod', db: 'main' }, ctx(port));
    expect(asked).toEqual(['acme-main@eu-west-1']);
    expect(result.reports).toHaveLength(1);
    expect(result.reports[0]!.rds).toEqual(metrics);
    expect(result.reports[0]!.checks.find((c) => c.id === 'rds-cpu')!.status).toBe('warn');
    expect(result.thresholds.rdsCpuCritical).toBe(99);
    expect(result.db).toBe('main');
  });

  it('reports an unreachable database as a critical finding, once, with what to check', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    let attempts = 0;
    const real = createPgExecutor();
    const pg: PgPort = { ...real, collect: (c, o) => (attempts++, real.collect(c, o)), resolveSecret: () => `postgres://medic:pw@127.0.0.1:${port}/reports` };
    const result = await runDbHealth({ kind: 'db.health', env: 'acme-prod', db: 'reports' }, ctx(pg));
    expect(attempts).toBe(1);
    expect(result.status).toBe('critical');
    expect(result.reports[0]!.error!.message).toBe(`Cannot connect to acme-prod/reports at 127.0.0.1:${port}: connection refused.`);
    expect(result.reports[0]!.checks).toEqual([{ id: 'connect', status: 'critical', title: result.reports[0]!.error!.message, details: [result.reports[0]!.error!.hint] }]);
  });

  it.each([
    [{ kind: 'db.health' as const, env: 'nope' }, /no environment `nope`/],
    [{ kind: 'db.health' as const, env: 'acme-prod', db: 'nope' }, /no database `nope`/],
    [{ kind: 'db.health' as const, env: 'empty' }, /has no databases/],
  ])('refuses %j with a UserError', async (request, message) => {
    await expect(runDbHealth(request, ctx(fakePort().port))).rejects.toThrow(message);
  });

  it('says so when the worker has no PostgreSQL service', async () => {
    const err = await runDbHealth({ kind: 'db.health', env: 'acme-prod' }, ctx(undefined)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/not configured/);
  });
});

describe('runDbCancel / runDbKill', () => {
  it('cancels through the port and reports what happened', async () => {
    const { port } = fakePort();
    const r = await runDbCancel({ kind: 'db.cancel', env: 'acme-prod', db: 'reports', pid: 4242 }, ctx(port));
    expect(r).toMatchObject({ kind: 'db.cancel', env: 'acme-prod', db: 'reports', pid: 4242, outcome: { signalled: true, stopped: true } });
    expect(r.summary).toBe('acme-prod/reports: The statement of pid 4242 was cancelled; the session is now idle.');
  });

  it('says when a kill did not take', async () => {
    const { port } = fakePort();
    const r = await runDbKill({ kind: 'db.kill', env: 'acme-prod', db: 'reports', pid: 4242 }, ctx(port));
    expect(r.summary).toBe('acme-prod/reports: could not kill pid 4242: pid 4242 was signalled but is still connected after 5 s.');
  });

  it('refuses a database whose URL is not set', async () => {
    await expect(runDbKill({ kind: 'db.kill', env: 'acme-prod', db: 'audit', pid: 1 }, ctx(fakePort().port))).rejects.toThrow(/ACME_AUDIT_URL/);
  });
});

describe('previewDbCancel / previewDbKill (before approval)', () => {
  const pctx = (pg: PgPort | undefined): PreflightContext => ({ inventory, services: ctx(pg).services, clock: { now: () => Date.UTC(2026, 10, 26, 12, 0, 5) } });
  const idleView = (pid: number): PgBackendView => ({
    database: 'reports',
    endpoint: 'reports.db:5432',
    session: session(pid, { state: 'idle in transaction', durationSec: 46, xactSec: 50, queryStart: '2026-11-26T11:59:19.000Z', query: 'update orders set state = ? where id = ?', application: 'checkout' }),
    runningStatement: false,
    blockedBy: [],
    blocks: [{ ...session(77, { application: 'billing' }), blockedBy: [pid], waitSec: 40 }],
  });

  it('describes the backend a kill would end, in words', async () => {
    const asked: number[] = [];
    const { port } = fakePort({ inspect: async (_c, pid) => (asked.push(pid), idleView(pid)) });
    const preview = await previewDbKill({ env: 'acme-prod', db: 'reports', pid: 4242 }, pctx(port));
    expect(asked).toEqual([4242]);
    expect(preview.facts).toEqual([
      ['Database', 'acme-prod/reports: database reports on reports.db:5432'],
      ['Backend', 'pid 4242, user app, application checkout, client 10.0.0.5'],
      ['State', 'idle in transaction for 46 s; transaction open 50 s'],
      ['Last query started', '2026-11-26 11:59:19 UTC'],
      ['Last query', 'update orders set state = ? where id = ?'],
      ['Blocks', 'pid 77 (app, billing), waiting 40 s'],
      ['Will run', 'pg_terminate_backend(4242): ends the session; an open transaction is rolled back and its locks released.'],
    ]);
    expect(preview.notes).toEqual(['As Medic read it at 12:00:05 UTC; the worker reads it again before it signals, and stops if it is gone.']);
  });

  it('refuses a cancel of a session that runs no statement, pointing at db kill', async () => {
    const { port } = fakePort({ inspect: async (_c, pid) => idleView(pid) });
    const err = await previewDbCancel({ env: 'acme-prod', db: 'reports', pid: 4242 }, pctx(port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('pid 4242 runs no statement: it has been idle in transaction for 46 s; its open transaction keeps its locks and blocks pid 77. pg_cancel_backend would do nothing.');
    expect((err as UserError).hint).toBe('`db kill acme-prod/reports 4242` ends the session, rolls its transaction back and releases its locks (needs an approver).');
  });

  it('lets a cancel of a running statement through to approval', async () => {
    const { port } = fakePort({ inspect: async (_c, pid) => ({ ...idleView(pid), session: session(pid, { durationSec: 12 }), runningStatement: true, blocks: [] }) });
    const preview = await previewDbCancel({ env: 'acme-prod', db: 'reports', pid: 4242 }, pctx(port));
    expect(preview.facts).toContainEqual(['State', 'running a statement for 12 s; transaction open 1 min 30 s']);
    expect(preview.facts).toContainEqual(['Blocks', 'no other session']);
  });

  it.each([
    ['a pid with no session', async () => null, 'There is no session with pid 4242 in acme-prod/reports; it may already have ended.', 'Type `db health acme-prod/reports` to list its sessions and their pids.'],
    ['a Medic session', async (_c: PgConnection, pid: number) => ({ ...idleView(pid), refusal: `pid ${pid} is a Medic session (application_name medic); refusing to signal it.` }), 'pid 4242 is a Medic session (application_name medic); refusing to signal it.', 'Type `db health acme-prod/reports` to find the session you mean.'],
  ])('refuses %s before approval', async (_what, inspect, message, hint) => {
    const { port } = fakePort({ inspect });
    const err = await previewDbKill({ env: 'acme-prod', db: 'reports', pid: 4242 }, pctx(port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ message, hint });
  });

  it('says it could not look the pid up when this process has no URL for the database', async () => {
    const { port } = fakePort({ inspect: async () => { throw new Error('must not connect'); } });
    const preview = await previewDbKill({ env: 'acme-prod', db: 'audit', pid: 4242 }, pctx(port));
    expect(preview.facts).toEqual([['Database', 'acme-prod/audit'], ['Backend', 'pid 4242'], ['Will run', expect.stringContaining('pg_terminate_backend(4242)')]]);
    expect(preview.notes[0]).toBe('Medic could not look pid 4242 up before asking: this process has no connection to acme-prod/audit (ACME_AUDIT_URL is not set here). The worker looks again before it signals and reports what it finds.');
  });
});
