/**
 * `npm run bench:db`: the full `db health` report (snapshot, grades, text attachment, card) on a scratch database
 * with 5,000 tables (a few rows each, a primary key, a secondary index and a sequence), the catalog size where
 * per-table SQL would hurt. Prints wall time per run and the number of queries; drops the database at the end.
 * PGURL_ADMIN (default postgres://postgres@127.0.0.1:5432/postgres) must be a superuser URL.
 */
import pg from 'pg';
import { dbHealthCard } from '../cards/db-health-card.js';
import type { Inventory } from '../src/core/inventory.js';
import type { PgPort } from '../src/core/pg-port.js';
import type { RunbookContext } from '../src/core/runbook.js';
import { createPgExecutor } from '../src/executors/pg.js';
import { runDbHealth } from '../src/runbooks/db/db-health.js';

const ADMIN_URL = process.env.PGURL_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TABLES = Number(process.env.BENCH_TABLES ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DB = `medic_bench_db_${process.pid}`;
const dbUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${DB}`;
  return u.toString();
})();

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${DB}`);
  try {
    const setup = new pg.Client({ connectionString: dbUrl });
    await setup.connect();
    const t0 = Date.now();
    const BATCH = 250;
    for (let start = 0; start < TABLES; start += BATCH) {
      const sql: string[] = [];
      for (let i = start; i < Math.min(TABLES, start + BATCH); i++) {
        const schema = `s${i % 10}`;
        if (i < 10) sql.push(`create schema ${schema};`);
        sql.push(`create table ${schema}.t${i} (id serial primary key, v int not null, note text);`,
          `create index t${i}_v_idx on ${schema}.t${i} (v);`,
          `insert into ${schema}.t${i} (v, note) select g % 7, 'row ' || g from generate_series(1, ${10 + (i % 40)}) g;`);
      }
      await setup.query(sql.join('\n'));
    }
    await setup.query('analyze');
    await setup.end();
    console.log(`setup: ${TABLES} tables in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const inventory: Inventory = { bench: { tags: {}, tiers: {}, logGroups: [], databases: { main: { urlEnv: 'BENCH_DB_URL' } } } };
    const executor = createPgExecutor();
    const port: PgPort = { ...executor, resolveSecret: (name) => (name === 'BENCH_DB_URL' ? dbUrl : undefined) };
    const ctx: RunbookContext = {
      jobId: 'bench', actor: { type: 'service', name: 'bench' }, signal: new AbortController().signal, inventory,
      services: { executor: { run: async () => ({ commandId: '', instances: [] }) }, pg: port },
      log: silent, clock: { now: () => Date.now() }, progress: async () => undefined, workerId: 'bench',
    };
    const times: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const started = process.hrtime.bigint();
      const result = await runDbHealth({ kind: 'db.health', env: 'bench', db: 'main' }, ctx);
      const card = dbHealthCard(result, { jobId: 'bench', requestedBy: 'bench', now: Date.now() });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      times.push(ms);
      const r = result.reports[0]!;
      if (r.error) throw new Error(r.error.message);
      const s = r.snapshot!;
      console.log(`run ${run}: full report ${ms.toFixed(0)} ms (snapshot ${s.durationMs} ms, ${s.queries} check queries, ${s.statements} statements incl. transaction/savepoints); ` +
        `${r.checks.filter((c) => c.status !== 'ok').length} findings, card ${Buffer.byteLength(JSON.stringify(card.card))} B, attachment ${result.attachments![0]!.content.length} chars, notices ${s.notices.length}`);
      for (const n of s.notices) console.log(`  notice: ${n.message}`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`median of ${RUNS}: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms for ${TABLES} tables`);
  } finally {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [DB]);
    await admin.query(`drop database if exists ${DB}`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
