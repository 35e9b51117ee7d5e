import { describe, expect, it } from 'vitest';
import { dbCancelCard, dbHealthCard, dbKillCard } from '../../cards/db-health-card.js';
import { resultCard } from '../../cards/index.js';
import { gradePgSnapshot } from '../../src/analyzers/pg/grade-pg-health.js';
import { formatDbHealthReport } from '../../src/analyzers/pg/format-db-health-report.js';
import { worstStatus, type DbHealthResult, type DbReport } from '../../src/core/kinds/db.js';
import { resolvePgThresholds, type PgSnapshot } from '../../src/core/pg-port.js';
import { healthySnapshot, session } from '../analyzers/pg/snapshot-fixture.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';

const T = resolvePgThresholds();
const META = { jobId: 'job-42', requestedBy: 'sre@acme.test', now: Date.UTC(2026, 10, 26, 12, 0) };

function report(db: string, snap: PgSnapshot): DbReport {
  const checks = gradePgSnapshot(snap, T);
  return { db, endpoint: snap.server.endpoint, status: worstStatus(checks.map((c) => c.status)), checks, snapshot: snap };
}

function result(reports: DbReport[], db?: string): DbHealthResult {
  const r: DbHealthResult = { kind: 'db.health', env: 'acme-prod', status: worstStatus(reports.map((x) => x.status)), reports, thresholds: T, summary: 'summary line' };
  if (db) r.db = db;
  r.attachments = [{ name: 'db-health-acme-prod.txt', contentType: 'text/plain', content: formatDbHealthReport(r) }];
  return r;
}

/** Everything wrong at once, with long texts and many rows: the card must stay valid and under budget. */
function sickSnapshot(): PgSnapshot {
  const long = Array.from({ length: 30 }, (_, i) => session(1000 + i, { durationSec: 4000 - i, query: `select ${'col_x, '.repeat(80)} from t${i} where a = ?`, application: `worker-${i}` }));
  const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  return healthySnapshot({
    longRunning: long,
    idleInTransaction: many(20, (i) => session(2000 + i, { state: 'idle in transaction', durationSec: 900 })),
    blocked: many(10, (i) => ({ ...session(3000 + i, { durationSec: 120, waitEventType: 'Lock', waitEvent: 'tuple' }), blockedBy: [2000], waitSec: 110 })),
    blockers: [{ ...session(2000, { state: 'idle in transaction' }), blockedBy: [], waitSec: null }],
    connections: { total: 97, max: 100, reservedSuperuser: 3, bySource: many(50, (i) => ({ database: 'app', user: 'app', application: `svc-${i}`, client: `10.0.0.${i}`, count: 2 })) },
    cacheHit: { table: 0.8, index: 0.9 },
    vacuum: many(10, (i) => ({ schema: 'public', table: `t${i}`, liveTuples: 1000, deadTuples: 9000, deadRatio: 0.9, lastVacuum: null, lastAutovacuum: null, lastAnalyze: null, lastAutoanalyze: null, autovacuumEnabled: false })),
    tableBloat: many(10, (i) => ({ schema: 'public', table: `t${i}`, realBytes: 1e9, bloatBytes: 9e8, bloatRatio: 0.9 })),
    indexBloat: many(10, (i) => ({ schema: 'public', table: `t${i}`, index: `t${i}_idx`, realBytes: 1e9, bloatBytes: 6e8, bloatRatio: 0.6 })),
    unusedIndexes: many(50, (i) => ({ schema: 'public', table: `t${i}`, index: `t${i}_unused_idx`, bytes: 1e7, scans: 0, definition: `CREATE INDEX t${i}_unused_idx ON public.t${i} USING btree (a)` })),
    duplicateIndexes: many(50, (i) => ({ schema: 'public', table: `t${i}`, index: `t${i}_dup_idx`, bytes: 1e7, scans: 0, definition: '', coveredBy: `t${i}_idx` })),
    invalidIndexes: [{ schema: 'public', table: 't1', index: 'broken_idx', bytes: 1e6, scans: 0, definition: '' }],
    totals: { unusedIndexes: 4200, duplicateIndexes: 50 },
    sequences: [{ schema: 'public', sequence: 'orders_id_seq', column: 'public.orders.id', lastValue: 2.1e9, maxValue: 2147483647, ratio: 2.1e9 / 2147483647 }],
    topQueries: many(10, (i) => ({ query: `select * from t${i} where a = $1`, calls: 1e6, totalMs: 1e7, meanMs: 100, rows: 1, share: 0.1 })),
    replication: { lagSec: null, replicas: [], slots: [{ name: 'old_slot', type: 'logical', active: false, retainedBytes: 5e10 }] },
    notices: [{ section: 'topQueries', incomplete: true, message: 'pg_stat_statements shows other roles’ query text as <insufficient privilege>' }],
  });
}

describe('dbHealthCard', () => {
  it('puts findings first with cancel and kill buttons that prefill the commands', () => {
    const snap = healthySnapshot({ longRunning: [session(4242, { durationSec: 400, query: 'select pg_sleep(?)' })] });
    const msg = dbHealthCard(result([report('main', snap)], 'main'), META);
    expectValidCard(msg);
    const body = JSON.stringify(msg.card);
    expect(body).toContain(JSON.stringify({ medic: 'prefill', text: 'db cancel acme-prod/main 4242' }));
    expect(body).toContain(JSON.stringify({ medic: 'prefill', text: 'db kill acme-prod/main 4242' }));
    const text = cardText(msg.card);
    expect(text.split('\n')[0]).toBe('🛑 db health acme-prod/main: 1 critical');
    expect(text.indexOf('1 query running longer than 1 min 0 s')).toBeLessThan(text.indexOf('Biggest tables'));
    expect(text).toContain('Full report attached: db-health-acme-prod.txt');
    expect(msg.text).toContain('main: [critical] 1 query running longer than');
  });

  it('stays a valid card under the size budget with every check failing and many rows, and says what it left out', () => {
    const r = result([report('main', sickSnapshot())], 'main');
    const msg = dbHealthCard(r, META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    // Every finding title is present even when tables had to go.
    for (const c of r.reports[0]!.checks.filter((x) => x.status !== 'ok')) expect(text).toContain(c.title.slice(0, 40));
    expect(text).toContain('4200 unused indexes');
    expect(r.attachments![0]!.content).toContain('t49_unused_idx');
  });

  it('summarises every database of an environment, worst first, and stays valid', () => {
    const reports = [report('main', sickSnapshot()), report('reports', sickSnapshot()), report('audit', healthySnapshot())];
    const msg = dbHealthCard(result(reports), META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    expect(text).toContain('**acme-prod/main**');
    expect(text).toContain('**acme-prod/audit**: all checks ok');
    expect(text).toMatch(/section.* left out to fit the card/);
  });

  it('shows an unreachable database as a clear error card with what to check', () => {
    const message = 'Cannot connect to acme-prod/main at 10.1.2.3:5432: connection refused.';
    const hint = 'Check that PostgreSQL is running there, that the host and port in the connection URL are right.';
    const bad: DbReport = { db: 'main', status: 'critical', checks: [{ id: 'connect', status: 'critical', title: message, details: [hint] }], error: { message, hint } };
    const msg = resultCard(result([bad], 'main'), META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    expect(text).toContain('db health acme-prod/main: cannot check');
    expect(text).toContain(message);
    expect(text).toContain(`What to check: ${hint}`);
  });

  it('tells what Medic could not see', () => {
    const snap = healthySnapshot({ notices: [{ section: 'longRunning', incomplete: true, message: 'Role medic lacks pg_monitor' }] });
    const msg = dbHealthCard(result([report('main', snap)], 'main'), META);
    expectValidCard(msg);
    expect(cardText(msg.card)).toContain('What Medic could not see\n• Role medic lacks pg_monitor');
  });
});

describe('db cancel / kill cards', () => {
  it('shows a cancel that worked and the session it hit', () => {
    const msg = dbCancelCard({ kind: 'db.cancel', env: 'acme-prod', db: 'main', pid: 7, summary: 's', outcome: { pid: 7, signalled: true, stopped: true, before: session(7, { query: 'select pg_sleep(?)' }), waiters: [], detail: 'The statement of pid 7 was cancelled; the session is now idle.' } }, META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    expect(text).toContain('✅ db cancel acme-prod/main pid 7: done');
    expect(text).toContain('select pg_sleep(?)');
  });

  it('shows a refused cancel of an idle session as not done, with db kill as what to do instead', () => {
    const before = session(7, { state: 'idle in transaction', durationSec: 46, query: 'update t set v = ?' });
    const msg = dbCancelCard({ kind: 'db.cancel', env: 'acme-prod', db: 'main', pid: 7, summary: 's', outcome: { pid: 7, signalled: false, stopped: false, before, waiters: [], detail: 'pid 7 runs no statement: it has been idle in transaction for 46 s. pg_cancel_backend would do nothing.', hint: '`db kill acme-prod/main 7` ends the session (needs an approver).' } }, META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    expect(text).toContain('🛑 db cancel acme-prod/main pid 7: not done');
    expect(text).toContain('What to do instead: `db kill acme-prod/main 7` ends the session');
    expect(text).not.toContain('blocked no other session');
    expect(msg.text).toContain('db kill acme-prod/main 7');
  });

  it('says for each session the backend blocked whether it is free, still blocked (by whom) or gone', () => {
    const outcome = {
      pid: 7, signalled: true, stopped: true, before: session(7), after: session(7, { state: 'idle in transaction (aborted)' }), detail: 'The statement of pid 7 was cancelled.',
      waiters: [
        { pid: 8, user: 'app', application: 'api', blockedByBefore: [7], blockedByAfter: [] },
        { pid: 9, user: 'app', application: 'batch', blockedByBefore: [6, 7], blockedByAfter: [6] },
        { pid: 10, user: 'app', application: 'api', blockedByBefore: [7], blockedByAfter: [7] },
        { pid: 11, user: 'app', application: 'api', blockedByBefore: [7], blockedByAfter: null },
      ],
    };
    const msg = dbCancelCard({ kind: 'db.cancel', env: 'acme-prod', db: 'main', pid: 7, summary: 's', outcome }, META);
    expectValidCard(msg);
    const text = cardText(msg.card);
    expect(text).toContain('⚠️ db cancel acme-prod/main pid 7: done, but 2 sessions are still blocked');
    expect(text).toContain('Now: idle in transaction (aborted)');
    expect(text).toContain('pid 8 (app, api): no longer blocked');
    expect(text).toContain('pid 9 (app, batch): still blocked by pid 6');
    expect(text).toContain('pid 10 (app, api): still blocked by pid 7 (pid 7 still blocks it)');
    expect(text).toContain('pid 11 (app, api): has ended');
  });

  it('shows a refused kill as not done', () => {
    const msg = dbKillCard({ kind: 'db.kill', env: 'acme-prod', db: 'main', pid: 9, summary: 's', outcome: { pid: 9, signalled: false, stopped: false, before: null, waiters: [], detail: "pid 9 is Medic's own session; refusing to signal it." } }, META);
    expectValidCard(msg);
    expect(cardText(msg.card)).toContain('🛑 db kill acme-prod/main pid 9: not done');
    expect(msg.text).toContain("Medic's own session");
  });
});
