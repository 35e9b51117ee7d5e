import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradePgSnapshot } from '../../src/analyzers/pg/grade-pg-health.js';
import { UserError } from '../../src/core/errors.js';
import { resolvePgThresholds, type PgCollectOptions, type PgSnapshot } from '../../src/core/pg-port.js';
import { createPgExecutor, maskQuery, topQueriesSql } from '../../src/executors/pg.js';
import { dbCancelCard } from '../../cards/db-health-card.js';
import { cardText } from '../support/adaptive-card.js';

/**
 * Against the machine's real PostgreSQL: a scratch database per run with the classic problems seeded (70 % deleted
 * table with autovacuum off, duplicate and unused indexes, a session idle in transaction holding a row lock, a
 * session blocked on it, a long pg_sleep), then the snapshot must report each one with the numbers the test measures.
 */

const ADMIN_URL = process.env.PGURL_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const DB = `medic_test_pg_${suffix}`;
const NOMON = `medic_nomon_${suffix}`;
const dbUrl = (user = 'postgres'): string => {
  const u = new URL(ADMIN_URL);
  u.username = user;
  u.password = '';
  u.pathname = `/${DB}`;
  return u.toString();
};

const OPTS: PgCollectOptions = {
  longQuerySec: 1,
  idleInTransactionSec: 1,
  topN: 10,
  statementTimeoutMs: 5000,
  lockTimeoutMs: 1000,
  slowStatementTimeoutMs: 30_000,
  connectTimeoutMs: 3000,
  unusedIndexMaxScans: 0,
  unusedIndexMinBytes: 0,
};
const executor = createPgExecutor({ signalWaitMs: 5000 });
const conn = (user?: string) => ({ url: dbUrl(user), label: 'test/main' });

const clients: pg.Client[] = [];
let admin: pg.Client;
let idleTx: pg.Client;
let sleepPid = 0;
let idlePid = 0;
let blockedPid = 0;
let sleepQuery: Promise<unknown>;
let blockedQuery: Promise<unknown>;

async function open(url: string, application: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: application });
  c.on('error', () => undefined); // terminated on purpose by the kill test and in cleanup
  await c.connect();
  clients.push(c);
  return c;
}

async function pid(c: pg.Client): Promise<number> {
  return Number((await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
}

/** Polls until `probe` returns a value (bounded); the wait is for a state, never a fixed time. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function activity(p: number): Promise<{ state: string | null; wait_event_type: string | null; sec: number } | undefined> {
  const r = await admin.query('select state, wait_event_type, extract(epoch from now() - coalesce(case when state like $2 then state_change end, query_start))::float8 as sec from pg_stat_activity where pid = $1', [p, 'idle in transaction%']);
  return r.rows[0];
}

beforeAll(async () => {
  admin = await open(ADMIN_URL, 'medic-test-admin');
  await admin.query(`create database ${DB}`);
  await admin.query(`create role ${NOMON} login`);
  const setup = await open(dbUrl(), 'medic-test-setup');
  await setup.query(`
    create schema app;
    create table app.orders (id bigserial primary key, client_id int not null, note text, created_at timestamptz default now())
      with (autovacuum_enabled = off);
    insert into app.orders (client_id, note) select g % 500, 'note ' || g from generate_series(1, 100000) g;
    create index orders_client_idx on app.orders (client_id);
    create index orders_client_copy_idx on app.orders (client_id);
    create index orders_created_idx on app.orders (created_at);
    create table app.locks (id int primary key, v int not null);
    insert into app.locks values (1, 0);
    delete from app.orders where id % 10 < 7;`);
  // Deleted-row counters reach the shared statistics when this backend flushes; force it, wait for it, then
  // ANALYZE so live/dead counts and the pg_stats the bloat estimate reads describe the same table.
  await setup.query('select pg_stat_force_next_flush()');
  await until('dead tuples in pg_stat_user_tables', async () => Number((await setup.query(`select n_dead_tup from pg_stat_user_tables where relname = 'orders'`)).rows[0]?.n_dead_tup) === 70000);
  await setup.query('analyze app.orders; analyze app.locks');

  idleTx = await open(dbUrl(), 'client-acme');
  idlePid = await pid(idleTx);
  await idleTx.query('begin');
  await idleTx.query('update app.locks set v = v + 1 where id = 1');

  const blocked = await open(dbUrl(), 'client-globex');
  blockedPid = await pid(blocked);
  blockedQuery = blocked.query('update app.locks set v = v + 10 where id = 1').catch((e: unknown) => e);

  const sleeper = await open(dbUrl(), 'client-globex');
  sleepPid = await pid(sleeper);
  sleepQuery = sleeper.query('select pg_sleep(600) /* report 42 */').catch((e: unknown) => e);

  await until('the seeded sessions to reach their states for over a second', async () => {
    // One after the other: a pg client runs one query at a time (queuing them is deprecated, removed in pg@9).
    const i = await activity(idlePid);
    const b = await activity(blockedPid);
    const s = await activity(sleepPid);
    return i?.state === 'idle in transaction' && i.sec > 1.2 && b?.wait_event_type === 'Lock' && b.sec > 1.2 && s?.state === 'active' && s.sec > 1.2;
  });
});

afterAll(async () => {
  for (const c of clients.filter((c) => c !== admin)) await c.end().catch(() => undefined);
  if (admin) {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [DB]).catch(() => undefined);
    await admin.query(`drop database if exists ${DB} with (force)`);
    await admin.query(`drop role if exists ${NOMON}`);
    await admin.end();
  }
});

describe('createPgExecutor().collect on a real PostgreSQL', () => {
  let snap: PgSnapshot;
  beforeAll(async () => {
    snap = await executor.collect(conn(), OPTS);
  });

  it('lists the long pg_sleep with its application, client, duration and masked text', async () => {
    const s = snap.longRunning.find((x) => x.pid === sleepPid);
    expect(s).toBeDefined();
    expect(s).toMatchObject({ user: 'postgres', application: 'client-globex', client: '127.0.0.1', state: 'active', waitEventType: 'Timeout', waitEvent: 'PgSleep' });
    expect(s!.query).toBe('select pg_sleep(?) /* report ? */');
    const measured = (await activity(sleepPid))!.sec;
    expect(s!.durationSec).toBeGreaterThan(1);
    expect(s!.durationSec).toBeLessThanOrEqual(measured);
    expect(snap.longRunning.some((x) => x.pid === snap.server.ownPid)).toBe(false);
  });

  it('lists the session idle in transaction and the blocking chain it heads', () => {
    const idle = snap.idleInTransaction.find((x) => x.pid === idlePid);
    expect(idle).toMatchObject({ application: 'client-acme', state: 'idle in transaction' });
    expect(idle!.query).toBe('update app.locks set v = v + ? where id = ?');
    expect(idle!.durationSec).toBeGreaterThan(1);
    expect(snap.blocked.find((x) => x.pid === blockedPid)?.blockedBy).toEqual([idlePid]);
    expect(snap.blockers.map((x) => x.pid)).toContain(idlePid);
  });

  it('counts connections by client and application for this database', async () => {
    const ours = snap.connections.bySource.filter((s) => s.database === DB);
    const count = (app: string) => ours.filter((s) => s.application === app).reduce((a, s) => a + s.count, 0);
    expect(count('client-acme')).toBe(1);
    expect(count('client-globex')).toBe(2);
    expect(snap.connections.max).toBe(Number((await admin.query('show max_connections')).rows[0].max_connections));
    expect(snap.connections.total).toBeGreaterThanOrEqual(ours.reduce((a, s) => a + s.count, 0));
  });

  it('reports the 70 % deleted table: dead tuples, autovacuum off, bloat estimate, size', async () => {
    const v = snap.vacuum.find((x) => x.schema === 'app' && x.table === 'orders')!;
    expect(v).toMatchObject({ liveTuples: 30000, deadTuples: 70000, autovacuumEnabled: false, lastVacuum: null });
    expect(v.deadRatio).toBeCloseTo(0.7, 5);
    expect(v.lastAnalyze).not.toBeNull();
    const bloat = snap.tableBloat.find((x) => x.table === 'orders')!;
    expect(bloat.bloatRatio).toBeGreaterThan(0.6);
    expect(bloat.bloatRatio).toBeLessThan(0.8);
    const c = clients.find((x) => x !== admin && x !== idleTx)!;
    const [m] = (await c.query(`select pg_total_relation_size('app.orders')::float8 as t, pg_indexes_size('app.orders')::float8 as i, pg_relation_size('app.orders')::float8 as r`)).rows;
    const t = snap.tables.find((x) => x.table === 'orders')!;
    expect([t.totalBytes, t.indexBytes, t.tableBytes]).toEqual([m.t, m.i, m.r]);
    expect(bloat.realBytes).toBe(m.r);
    // Schema sizes come from pg_class page counts (no per-relation I/O): the main forks, without FSM/VM.
    const [all] = (await c.query(`select (pg_total_relation_size('app.orders') + pg_total_relation_size('app.locks'))::float8 as t`)).rows;
    const schemaBytes = snap.schemas.find((x) => x.name === 'app')!.bytes;
    expect(schemaBytes / all.t).toBeGreaterThan(0.97);
    expect(schemaBytes).toBeLessThanOrEqual(all.t);
    expect(snap.databases.map((d) => d.name)).toContain(DB);
  });

  it('finds the duplicate and the unused index with their sizes', async () => {
    const dup = snap.duplicateIndexes.filter((x) => x.table === 'orders');
    expect(dup).toHaveLength(1);
    expect(new Set([dup[0]!.index, dup[0]!.coveredBy])).toEqual(new Set(['orders_client_idx', 'orders_client_copy_idx']));
    const c = clients.find((x) => x !== admin && x !== idleTx)!;
    const size = Number((await c.query(`select pg_relation_size('app.orders_created_idx')::float8 as b`)).rows[0].b);
    expect(snap.unusedIndexes.find((x) => x.index === 'orders_created_idx')).toMatchObject({ schema: 'app', table: 'orders', scans: 0, bytes: size });
    // Primary keys are unique: never reported as unused, whatever their scans.
    expect(snap.unusedIndexes.some((x) => x.index === 'orders_pkey')).toBe(false);
  });

  it('reads sequences, wraparound age, privileges and says pg_stat_statements is missing', () => {
    const seq = snap.sequences.find((s) => s.sequence === 'orders_id_seq')!;
    expect(seq).toMatchObject({ column: 'app.orders.id', lastValue: 100000, maxValue: 9223372036854775807 });
    expect(snap.wraparound.databases.find((d) => d.name === DB)!.left).toBeGreaterThan(2_000_000_000);
    expect(snap.privileges).toEqual({ pgMonitor: true, superuser: true });
    expect(snap.topQueries).toBeNull();
    expect(snap.notices.map((n) => n.message).join('\n')).toMatch(/pg_stat_statements is not installed/);
    expect(snap.server).toMatchObject({ database: DB, user: 'postgres', endpoint: '127.0.0.1:5432', isReplica: false });
    expect(snap.queries).toBeGreaterThanOrEqual(18);
    expect(snap.statements).toBeGreaterThan(snap.queries);
  });

  it('grades the seeded problems worst first with the right figures', () => {
    const checks = gradePgSnapshot(snap, resolvePgThresholds({ longQueryWarnSec: 1, idleInTransactionWarnSec: 1, blockedWarnSec: 1 }));
    const by = (id: string) => checks.find((c) => c.id === id)!;
    expect(by('dead-tuples')).toMatchObject({ status: 'critical' });
    expect(by('dead-tuples').details.join('\n')).toContain('app.orders: 70000 dead / 30000 live (70 %)');
    expect(by('dead-tuples').details.join('\n')).toContain('autovacuum OFF');
    expect(by('long-running').status).toBe('warn');
    expect(by('long-running').pids).toContain(sleepPid);
    expect(by('idle-in-transaction').pids).toEqual([idlePid]);
    expect(by('blocking').pids).toContain(idlePid);
    expect(by('table-bloat').status).toBe('warn');
    expect(by('duplicate-indexes').status).toBe('warn');
    expect(by('unused-indexes').details.join('\n')).toContain('app.orders_created_idx on orders');
    expect(by('slow-queries').status).toBe('unknown');
    const ranks = checks.map((c) => ({ critical: 3, warn: 2, unknown: 1, ok: 0 })[c.status]);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });
});

describe('what a role without pg_monitor can see', () => {
  it('notices what it cannot see and grades those checks unknown instead of ok', async () => {
    const snap = await executor.collect(conn(NOMON), OPTS);
    expect(snap.privileges).toEqual({ pgMonitor: false, superuser: false });
    // The sleep is invisible to this role: it must not be reported with made-up numbers, nor as "no long query".
    expect(snap.longRunning.some((x) => x.pid === sleepPid)).toBe(false);
    expect(snap.notices.find((n) => n.section === 'longRunning')!.message).toMatch(new RegExp(`${NOMON} lacks pg_monitor.*GRANT pg_monitor TO ${NOMON}`));
    const checks = gradePgSnapshot(snap, resolvePgThresholds({ longQueryWarnSec: 1, idleInTransactionWarnSec: 1 }));
    const by = (id: string) => checks.find((c) => c.id === id)!;
    expect(by('long-running').status).toBe('unknown');
    expect(by('idle-in-transaction').status).toBe('unknown');
    expect(by('table-bloat').status).toBe('unknown');
    expect(by('long-running').details.join(' ')).toContain('pg_monitor');
    // Who waits for whom and for how long is visible without pg_monitor (pg_blocking_pids, pg_locks.waitstart):
    // the lock wait is a finding, which says exactly what was hidden, not "No session blocked (incomplete)".
    const waiting = snap.blocked.find((x) => x.pid === blockedPid)!;
    expect(waiting).toMatchObject({ blockedBy: [idlePid], hidden: true, application: 'client-globex', user: 'postgres' });
    expect(waiting.waitSec).toBeGreaterThan(1);
    expect(waiting.waitSec).toBeLessThanOrEqual((await activity(blockedPid))!.sec + 1);
    expect(snap.blockers.find((x) => x.pid === idlePid)).toMatchObject({ hidden: true, application: 'client-acme' });
    const blocking = gradePgSnapshot(snap, resolvePgThresholds({ blockedWarnSec: 1 })).find((c) => c.id === 'blocking')!;
    expect(blocking.status).toBe('warn');
    expect(blocking.title).toMatch(/blocked \(longest wait \d+ s\); root blocker/);
    expect(blocking.pids).toContain(idlePid);
    const visibility = blocking.details[0]!;
    expect(visibility).toContain(`${NOMON} sees which sessions wait for which (pg_blocking_pids) and how long each has waited (pg_locks)`);
    expect(visibility).toMatch(new RegExp(`but not the state, query text or client of pid [0-9, ]*\\b${idlePid}\\b`));
    expect(visibility).toContain(`GRANT pg_monitor TO ${NOMON}`);
    expect(blocking.details).toContainEqual(expect.stringMatching(new RegExp(`^pid ${blockedPid} \\(client-globex, waiting \\d+ s\\) is blocked by pid ${idlePid}: query hidden`)));
    expect(blocking.details).toContainEqual(`root blocker pid ${idlePid} (postgres, client-acme): state and query hidden from Medic`);
    // Counts stay right; client addresses of other roles are hidden, not guessed.
    const acme = snap.connections.bySource.filter((s) => s.database === DB && s.application === 'client-acme');
    expect(acme).toEqual([{ database: DB, user: 'postgres', application: 'client-acme', client: null, count: 1 }]);
  });
});

describe('pg_stat_statements', () => {
  it('reports an installed but not preloaded extension as a notice, not a failure', async () => {
    const c = clients.find((x) => x !== admin && x !== idleTx)!;
    await c.query('create extension if not exists pg_stat_statements');
    try {
      const snap = await executor.collect(conn(), OPTS);
      expect(snap.topQueries).toBeNull();
      expect(snap.notices.find((n) => n.section === 'topQueries')!.message).toMatch(/Top queries \(pg_stat_statements\) failed: .*shared_preload_libraries/);
      // The failed check rolled back to its savepoint: the checks after it still ran.
      expect(snap.replication.slots).toEqual([]);
      expect(snap.notices.filter((n) => n.incomplete)).toHaveLength(1);
    } finally {
      await c.query('drop extension pg_stat_statements');
    }
  });

  it.each([
    [120005, 'total_time', 'mean_time'],
    [130000, 'total_exec_time', 'mean_exec_time'],
    [150020, 'total_exec_time', 'mean_exec_time'],
  ])('uses the column names of server version %i', (version, total, mean) => {
    const sql = topQueriesSql(version, 'ext');
    expect(sql).toContain(`${total}::float8 as total_ms`);
    expect(sql).toContain(`${mean}::float8 as mean_ms`);
    expect(sql).toContain('"ext".pg_stat_statements');
  });
});

describe('unreachable databases', () => {
  it('fails once with a UserError naming the host and what to check when the port is closed', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const err = await executor.collect({ url: `postgres://medic:secret@127.0.0.1:${port}/app`, label: 'acme-prod/main' }, OPTS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`Cannot connect to acme-prod/main at 127.0.0.1:${port}: connection refused.`);
    expect((err as UserError).hint).toMatch(/host and port/);
    expect(JSON.stringify({ m: (err as UserError).message, h: (err as UserError).hint })).not.toContain('secret');
  });

  it('gives up after the connect timeout on a server that never answers, without retrying', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await executor.collect({ url: `postgres://medic@127.0.0.1:${port}/app`, label: 'acme-prod/main' }, { ...OPTS, connectTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(new RegExp(`acme-prod/main at 127.0.0.1:${port}: no answer within`));
      expect(sockets).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('cancel and terminate', () => {
  it('refuses Medic sessions and unknown pids', async () => {
    const medic = await open(dbUrl(), 'medic');
    const medicPid = await pid(medic);
    const refused = await executor.cancel(conn(), medicPid);
    expect(refused).toMatchObject({ pid: medicPid, signalled: false, stopped: false });
    expect(refused.detail).toMatch(/Medic session/);
    // The refused session is still there (activity() is undefined once a backend is gone).
    expect(await activity(medicPid)).toMatchObject({ sec: expect.any(Number) });
    const missing = await executor.cancel(conn(), 2147483000);
    expect(missing).toMatchObject({ signalled: false, before: null, hint: 'Type `db health test/main` to list its sessions.' });
    expect(missing.detail).toMatch(new RegExp(`No session with pid 2147483000 in database ${DB}`));
  });

  it('looks a backend up before approval: what it runs, since when, and whom it blocks', async () => {
    const view = (await executor.inspect(conn(), idlePid))!;
    expect(view).toMatchObject({ database: DB, endpoint: '127.0.0.1:5432', runningStatement: false, blockedBy: [] });
    expect(view.session).toMatchObject({ pid: idlePid, user: 'postgres', application: 'client-acme', state: 'idle in transaction', query: 'update app.locks set v = v + ? where id = ?' });
    expect(Date.parse(view.session.queryStart!)).toBeLessThan(Date.now());
    expect(view.session.durationSec).toBeGreaterThan(1);
    expect(view.blocks.map((b) => [b.pid, b.blockedBy])).toEqual([[blockedPid, [idlePid]]]);
    expect(view.blocks[0]!.waitSec).toBeGreaterThan(1);
    expect(view.refusal).toBeUndefined();
    expect((await executor.inspect(conn(), sleepPid))!.runningStatement).toBe(true);
    expect(await executor.inspect(conn(), 2147483000)).toBeNull();
  });

  it('does not cancel a session idle in transaction: no statement to cancel, it says so and suggests db kill', async () => {
    const outcome = await executor.cancel(conn(), idlePid);
    expect(outcome).toMatchObject({ pid: idlePid, signalled: false, stopped: false, waiters: [] });
    expect(outcome.detail).toMatch(new RegExp(`^pid ${idlePid} runs no statement: it has been idle in transaction for \\d+ s; its open transaction keeps its locks and blocks pid ${blockedPid}\\. pg_cancel_backend would do nothing\\.$`));
    expect(outcome.hint).toContain(`\`db kill test/main ${idlePid}\``);
    // Nothing changed: the blocker still idles in its transaction and the blocked session still waits.
    expect((await activity(idlePid))?.state).toBe('idle in transaction');
    expect((await activity(blockedPid))?.wait_event_type).toBe('Lock');
  });

  it('cancels a statement and re-checks the sessions it blocked: still blocked, and by whom', async () => {
    const setup = await open(dbUrl(), 'medic-test-gate');
    await setup.query('create table app.gate (id int)');
    const holder = await open(dbUrl(), 'client-holder');
    const holderPid = await pid(holder);
    await holder.query('begin; lock table app.gate in share mode');
    const runner = await open(dbUrl(), 'client-runner');
    const runnerPid = await pid(runner);
    await runner.query('begin; lock table app.gate in share mode');
    const running = runner.query('select pg_sleep(600)').catch((e: unknown) => e);
    const writer = await open(dbUrl(), 'client-writer');
    const writerPid = await pid(writer);
    const written = writer.query('insert into app.gate values (1)').catch((e: unknown) => e);
    await until('the writer to wait on both share locks', async () => {
      const r = await admin.query('select pg_blocking_pids($1) as by from pg_stat_activity where pid = $1', [writerPid]);
      return (r.rows[0]?.by as number[] | undefined)?.length === 2 && (await activity(runnerPid))?.state === 'active';
    });

    const outcome = await executor.cancel(conn(), runnerPid);
    expect(outcome).toMatchObject({ pid: runnerPid, signalled: true, stopped: true });
    expect(((await running) as { code?: string }).code).toBe('57014');
    // The cancelled statement aborted the runner's transaction, which released its lock; the holder's remains.
    expect(outcome.after).toMatchObject({ state: 'idle in transaction (aborted)' });
    expect(outcome.waiters).toEqual([{ pid: writerPid, user: 'postgres', application: 'client-writer', blockedByBefore: [holderPid, runnerPid].sort((a, b) => a - b), blockedByAfter: [holderPid] }]);
    const card = dbCancelCard({ kind: 'db.cancel', env: 'test', db: 'main', pid: runnerPid, outcome, summary: outcome.detail }, { jobId: 'j1', requestedBy: 'sre@example.com', env: 'test', now: Date.now() });
    expect(cardText(card.card)).toContain(`pid ${writerPid} (postgres, client-writer): still blocked by pid ${holderPid}`);
    expect(cardText(card.card)).toContain('done, but 1 session is still blocked');

    await holder.query('rollback');
    expect(((await written) as { rowCount?: number }).rowCount).toBe(1);
    await runner.query('rollback');
  });

  it('cancels the pg_sleep statement: the query fails as cancelled and the session stays', async () => {
    const outcome = await executor.cancel(conn(), sleepPid);
    expect(outcome).toMatchObject({ pid: sleepPid, signalled: true, stopped: true, waiters: [], after: { state: 'idle' } });
    expect(outcome.before).toMatchObject({ application: 'client-globex', state: 'active', query: 'select pg_sleep(?) /* report ? */' });
    const err = (await sleepQuery) as { code?: string };
    expect(err.code).toBe('57014');
    expect((await activity(sleepPid))?.state).toBe('idle');
  });

  it('terminates the idle-in-transaction blocker, which releases the blocked session', async () => {
    const outcome = await executor.terminate(conn(), idlePid);
    expect(outcome).toMatchObject({ pid: idlePid, signalled: true, stopped: true, after: null });
    expect(outcome.detail).toBe(`Session ${idlePid} was terminated; its open transaction was rolled back.`);
    // Re-checked after the signal: the session it blocked no longer waits (null would mean it had ended).
    expect(outcome.waiters).toEqual([{ pid: blockedPid, user: 'postgres', application: 'client-globex', blockedByBefore: [idlePid], blockedByAfter: [] }]);
    expect(outcome.before?.state).toBe('idle in transaction');
    expect(await activity(idlePid)).toBeUndefined();
    const released = (await blockedQuery) as { rowCount?: number };
    expect(released.rowCount).toBe(1);
  });
});

describe('maskQuery', () => {
  it.each([
    ["select * from t where email = 'a@b.c' and id = 42", 'select * from t where email = ? and id = ?'.replace('= ?', "= '?'")],
    ["select E'it\\'s', $$body 7$$, $tag$x$tag$ from t1", "select '?', $$?$$, $$?$$ from t1"],
    ['select "col 1", x1, 3.5e2 from "t 2"', 'select "col 1", x1, ? from "t 2"'],
    ['update t set v = v + $1 where id = $2', 'update t set v = v + $1 where id = $2'],
    ["insert into t values ('unterminated", "insert into t values ('?'"],
  ])('masks literals in %s', (sql, masked) => {
    expect(maskQuery(sql, 500)).toBe(masked);
  });

  it('collapses whitespace and clips long text', () => {
    expect(maskQuery('select\n   1,\t2', 100)).toBe('select ?, ?');
    expect(maskQuery(`select ${'x, '.repeat(100)}y`, 20)).toHaveLength(20);
  });
});
