import pg from 'pg';
import { UserError, errorMessage } from '../core/errors.js';
import { cancelWouldNotAct, formatSeconds } from '../core/kinds/db.js';
import type {
  PgBackendView,
  PgBlockedSession,
  PgBloatRow,
  PgClient,
  PgCollectOptions,
  PgConnection,
  PgIndexRow,
  PgNotice,
  PgSession,
  PgSignalOutcome,
  PgSnapshot,
  PgWaiterOutcome,
  PgWraparoundRow,
} from '../core/pg-port.js';

/**
 * PostgreSQL adapter for `db health`, `db cancel` and `db kill` (the `PgClient` port). One connection per request,
 * one `BEGIN READ ONLY` transaction with per-statement and lock timeouts, each check behind a savepoint so one
 * failing check (a timeout, a missing extension) becomes a notice instead of aborting the report.
 */

/** Medic's sessions carry this application_name (unless the URL sets one), so `db cancel` can refuse them. */
export const MEDIC_APPLICATION_NAME = 'medic';

// --- the SQL, one statement per check (PostgreSQL 10+), modelled on PgHero (lib/pghero/methods/*.rb) and the
// statistics-based bloat estimate of ioguix / pgx_scripts. Exported so version branches are unit-testable.

/** Schemas that are never the application's. */
const NOT_SYSTEM = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'`;
const CLIENT = `coalesce(host(a.client_addr), case when a.client_port = -1 then 'local' end)`;

export const SERVER_SQL = `
select version() as version,
  current_setting('server_version_num')::int as version_num,
  current_database() as database,
  current_user as "user",
  pg_is_in_recovery() as is_replica,
  current_setting('max_connections')::int as max_connections,
  current_setting('superuser_reserved_connections')::int as reserved,
  pg_backend_pid() as own_pid,
  now() as collected_at,
  coalesce((select rolsuper from pg_roles where rolname = current_user), false) as superuser,
  pg_has_role(current_user, 'pg_monitor', 'USAGE') as pg_monitor,
  (select stats_reset from pg_stat_database where datname = current_database()) as stats_reset,
  current_setting('autovacuum_freeze_max_age')::float8 as freeze_max_age,
  (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements') as pgss_schema`;

const SESSION_COLUMNS = `a.pid, a.usename, a.application_name, ${CLIENT} as client, a.state,
  a.wait_event_type, a.wait_event, left(a.query, 4000) as query, a.backend_type,
  extract(epoch from now() - a.xact_start)::float8 as xact_sec`;

/** $1 = seconds. Client backends only: walsenders are "active" forever and autovacuum has its own checks. */
export const LONG_RUNNING_SQL = `
select ${SESSION_COLUMNS}, extract(epoch from now() - coalesce(a.query_start, a.xact_start))::float8 as duration_sec
from pg_stat_activity a
where a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
  and a.state is not null and a.state not like 'idle%'
  and now() - coalesce(a.query_start, a.xact_start) >= make_interval(secs => $1)
order by duration_sec desc
limit 50`;

/** $1 = seconds idle in the transaction (since the last statement ended). */
export const IDLE_IN_TRANSACTION_SQL = `
select ${SESSION_COLUMNS}, extract(epoch from now() - a.state_change)::float8 as duration_sec
from pg_stat_activity a
where a.state like 'idle in transaction%' and a.pid <> pg_backend_pid()
  and now() - a.state_change >= make_interval(secs => $1)
order by duration_sec desc
limit 50`;

/**
 * How long a blocked session has waited for its lock. pg_locks is readable by every role and has `waitstart` since
 * PostgreSQL 14, so a role without pg_monitor still sees other roles' waits; before 14 (or in the instant before
 * waitstart is set) the start of the statement is the best bound, and it is hidden for other roles' sessions.
 */
function waitSecSql(versionNum: number): string {
  const waitStart = versionNum >= 140000 ? '(select min(l.waitstart) from pg_locks l where l.pid = a.pid and not l.granted)' : 'null::timestamptz';
  return `extract(epoch from now() - coalesce(${waitStart}, case when a.state = 'active' then a.query_start end))::float8`;
}

/** pg_stat_activity shows this text in `query` (and nulls the rest) for sessions the role may not inspect. */
const HIDDEN = `a.query = '<insufficient privilege>'`;

/**
 * Blocked sessions and the sessions blocking them (roots of the chains are blockers that are not blocked).
 * pg_blocking_pids and pg_locks need no privilege: who waits for whom is complete for every role.
 */
export function blockingSql(versionNum: number): string {
  return `
with blocked as (
  select pid, pg_blocking_pids(pid) as blocked_by from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0
), involved as (
  select pid from blocked union select unnest(blocked_by) from blocked
)
select ${SESSION_COLUMNS},
  extract(epoch from now() - coalesce(a.query_start, a.state_change))::float8 as duration_sec,
  coalesce(b.blocked_by, '{}'::int[]) as blocked_by, ${HIDDEN} as hidden, a.query_start,
  case when b.pid is not null then ${waitSecSql(versionNum)} end as wait_sec
from involved i join pg_stat_activity a on a.pid = i.pid left join blocked b on b.pid = a.pid
order by cardinality(coalesce(b.blocked_by, '{}'::int[])) = 0 desc, duration_sec desc nulls last
limit 100`;
}

/**
 * Client backends grouped like PgHero's connection_sources, with the totals over all groups. Without pg_monitor,
 * backend_type of other roles' sessions reads null: a backend with a database and a user is then counted as a client.
 */
export const CONNECTIONS_SQL = `
select a.datname, a.usename, a.application_name, ${CLIENT} as client, count(*)::int as count,
  (sum(count(*)) over ())::int as total
from pg_stat_activity a
where coalesce(a.backend_type = 'client backend', a.datname is not null and a.usesysid is not null)
group by 1, 2, 3, 4
order by count desc, 1, 2, 3
limit 50`;

/**
 * Biggest tables. pg_total_relation_size opens (and locks) every relation it measures, which on 5,000 tables costs
 * seconds and thousands of locks; so candidates are ranked by the page counts in pg_class (table + TOAST + indexes,
 * as of the last VACUUM/ANALYZE) plus every never-analyzed table, and only those are measured exactly. $1 = top N.
 */
export const TABLE_SIZES_SQL = `
with pages as (
  select c.oid, c.reltoastrelid, c.relpages + coalesce(t.relpages, 0)
    + coalesce((select sum(ic.relpages) from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid), 0) as pages,
    c.reltuples
  from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_class t on t.oid = c.reltoastrelid
  where c.relkind in ('r', 'm') and ${NOT_SYSTEM}
), candidates as (
  (select oid, reltoastrelid, reltuples from pages order by pages desc limit greatest($1 * 5, 50))
  union
  (select oid, reltoastrelid, reltuples from pages where reltuples < 0 limit 200)
)
select n.nspname as schema, c.relname as table,
  pg_total_relation_size(c.oid)::float8 as total_bytes,
  pg_relation_size(c.oid)::float8 as table_bytes,
  pg_indexes_size(c.oid)::float8 as index_bytes,
  coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)::float8 as toast_bytes,
  greatest(c.reltuples, 0)::float8 as rows
from candidates k join pg_class c on c.oid = k.oid join pg_namespace n on n.oid = c.relnamespace
order by total_bytes desc, 1, 2
limit $1`;

/** Schema sizes from pg_class page counts (as of the last VACUUM/ANALYZE), for the same reason: no per-relation I/O. */
export const SCHEMA_SIZES_SQL = `
select n.nspname as name, (sum(c.relpages::float8 + coalesce(t.relpages, 0)) * current_setting('block_size')::float8) as bytes
from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_class t on t.oid = c.reltoastrelid
where c.relkind in ('r', 'm', 'i') and ${NOT_SYSTEM}
group by 1
order by bytes desc, 1
limit $1`;

export const DATABASE_SIZES_SQL = `
select datname as name,
  case when has_database_privilege(datname, 'CONNECT') then pg_database_size(datname)::float8 end as bytes
from pg_database
where not datistemplate
order by bytes desc nulls last, 1
limit $1`;

/** $1 = top N; most dead tuples first. */
export const VACUUM_SQL = `
select s.schemaname as schema, s.relname as table, s.n_live_tup::float8 as live, s.n_dead_tup::float8 as dead,
  s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
  coalesce((select o.option_value::boolean from pg_options_to_table(c.reloptions) o where o.option_name = 'autovacuum_enabled'), true)
    and current_setting('autovacuum')::boolean as autovacuum_enabled
from pg_stat_user_tables s join pg_class c on c.oid = s.relid
order by s.n_dead_tup desc, 1, 2
limit $1`;

/**
 * Table bloat, estimated from pg_stats: expected pages for reltuples rows of the average width (tuple header,
 * null bitmap, MAXALIGN, line pointer, fillfactor) against relpages, both as of the last VACUUM/ANALYZE.
 * Tables without statistics for every column (never analyzed, or columns this role cannot read) are skipped.
 * $1 = top N.
 */
export const TABLE_BLOAT_SQL = `
with st as materialized (
  select schemaname, tablename, attname, null_frac, avg_width from pg_stats
  where not inherited and schemaname not in ('pg_catalog', 'information_schema')
), cols as (
  select c.oid, n.nspname as schema, c.relname as tbl, c.reltuples::float8 as reltuples, c.relpages::float8 as relpages,
    coalesce(substring(array_to_string(c.reloptions, ' ') from 'fillfactor=([0-9]+)')::int, 100) as fillfactor,
    current_setting('block_size')::float8 as bs,
    sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0))::float8 as data_width,
    max(coalesce(s.null_frac, 0)) as max_null_frac,
    count(a.attnum) as ncols, count(s.attname) as ncols_stats
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  left join st s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname
  where c.relkind in ('r', 'm') and c.relpages > 0 and c.reltuples >= 0 and ${NOT_SYSTEM}
  group by c.oid, n.nspname, c.relname, c.reltuples, c.relpages, c.reloptions
), est as (
  select *, ceil((23 + case when max_null_frac > 0 then ceil(ncols / 8.0) else 0 end) / 8.0) * 8 + ceil(data_width / 8.0) * 8 + 4 as tuple_bytes
  from cols where ncols_stats = ncols
)
select schema, tbl as table, relpages * bs as real_bytes,
  greatest(relpages - ceil(reltuples * tuple_bytes / ((bs - 24) * fillfactor / 100.0)), 0) * bs as bloat_bytes
from est
order by bloat_bytes desc, 1, 2
limit $1`;

/**
 * B-tree index bloat, same method: expected leaf pages for reltuples entries of (8-byte index tuple header + key
 * width, MAXALIGNed, + line pointer) at the index fillfactor (90 by default), plus the metapage. Expression and
 * non-btree indexes are skipped. $1 = top N.
 */
export const INDEX_BLOAT_SQL = `
with st as materialized (
  select schemaname, tablename, attname, null_frac, avg_width from pg_stats
  where not inherited and schemaname not in ('pg_catalog', 'information_schema')
), cs as materialized (
  -- Column statistics keyed by (table oid, attnum): the index side then joins on integers, not on names.
  select a.attrelid, a.attnum, s.null_frac, s.avg_width
  from st s
  join pg_namespace n on n.nspname = s.schemaname
  join pg_class c on c.relnamespace = n.oid and c.relname = s.tablename
  join pg_attribute a on a.attrelid = c.oid and a.attname = s.attname
), ix as (
  select ic.oid, n.nspname as schema, t.relname as tbl, ic.relname as idx, ic.relpages::float8 as relpages, ic.reltuples::float8 as reltuples,
    coalesce(substring(array_to_string(ic.reloptions, ' ') from 'fillfactor=([0-9]+)')::int, 90) as fillfactor,
    current_setting('block_size')::float8 as bs,
    sum(coalesce(cs.avg_width, 0))::float8 as data_width, bool_or(coalesce(cs.null_frac, 0) > 0) as has_nulls,
    count(*) as ncols, count(cs.attnum) as ncols_stats
  from pg_index i
  join pg_class ic on ic.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  join pg_am am on am.oid = ic.relam and am.amname = 'btree'
  cross join lateral unnest(i.indkey::int2[]) as k(attnum)
  left join cs on cs.attrelid = i.indrelid and cs.attnum = k.attnum
  where k.attnum > 0 and i.indexprs is null and ic.relpages > 1 and ic.reltuples >= 0 and ${NOT_SYSTEM}
  group by ic.oid, n.nspname, t.relname, ic.relname, ic.relpages, ic.reltuples, ic.reloptions
), est as (
  select *, ceil((8 + data_width + case when has_nulls then 4 else 0 end) / 8.0) * 8 + 4 as tuple_bytes
  from ix where ncols_stats = ncols
)
select schema, tbl as table, idx as index, relpages * bs as real_bytes,
  greatest(relpages - 1 - ceil(reltuples * tuple_bytes / ((bs - 24 - 16) * fillfactor / 100.0)), 0) * bs as bloat_bytes
from est
order by bloat_bytes desc, 1, 2, 3
limit $1`;

/** PgHero's transaction_id_danger: 2146483648 = 2^31 minus the 1M transactions PostgreSQL keeps in reserve. $1 = top N. */
export const WRAPAROUND_SQL = `
select 'database' as kind, datname as name, age(datfrozenxid)::float8 as age from (
  select datname, datfrozenxid from pg_database where datallowconn order by age(datfrozenxid) desc limit $1) d
union all
select 'table', name, age from (
  select c.oid::regclass::text as name, greatest(age(c.relfrozenxid), age(t.relfrozenxid))::float8 as age
  from pg_class c left join pg_class t on c.reltoastrelid = t.oid
  where c.relkind in ('r', 'm') and c.relfrozenxid <> '0'
  order by 2 desc limit $1) r`;

export const CACHE_HIT_SQL = `
select (select sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) from pg_statio_user_tables)::float8 as table_rate,
  (select sum(idx_blks_hit) / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) from pg_statio_user_indexes)::float8 as index_rate`;

/** PgHero's unused_indexes: not unique, at most $1 scans since the stats reset, at least $2 bytes. $3 = limit. */
export const UNUSED_INDEXES_SQL = `
select ui.schemaname as schema, ui.relname as table, ui.indexrelname as index, pg_relation_size(i.indexrelid)::float8 as bytes,
  ui.idx_scan::float8 as scans, pg_get_indexdef(i.indexrelid) as definition, (count(*) over ())::int as total
from pg_stat_user_indexes ui join pg_index i on ui.indexrelid = i.indexrelid
where not i.indisunique and ui.idx_scan <= $1 and pg_relation_size(i.indexrelid) >= $2
order by bytes desc, 1, 2, 3
limit $3`;

/**
 * PgHero's duplicate_indexes in SQL: a valid, plain (no expression, no predicate), non-unique index whose key
 * columns and operator classes are a leading prefix of another valid plain index of the same method on the same
 * table. Of two identical indexes the one with the greater name is reported, unless the other is unique. $1 = limit.
 */
export const DUPLICATE_INDEXES_SQL = `
with ix as (
  select i.indexrelid, i.indrelid, n.nspname as schema, t.relname as tbl, c.relname as idx, c.relam,
    i.indkey::text as keys, i.indclass::text as classes, i.indisunique, i.indisvalid,
    i.indexprs is not null or i.indpred is not null as special
  from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
  where ${NOT_SYSTEM}
), dup as (
  select distinct on (a.indexrelid) a.schema, a.tbl, a.idx, a.indexrelid, b.idx as covered_by
  from ix a join ix b on a.indrelid = b.indrelid and a.indexrelid <> b.indexrelid and a.relam = b.relam
  where not a.indisunique and not a.special and a.indisvalid and not b.special and b.indisvalid
    and (b.keys = a.keys or b.keys like a.keys || ' %')
    and (b.classes = a.classes or b.classes like a.classes || ' %')
    and (b.keys <> a.keys or b.indisunique or a.idx > b.idx)
  order by a.indexrelid, b.indisunique desc, b.idx
)
select schema, tbl as table, idx as index, covered_by, pg_relation_size(indexrelid)::float8 as bytes,
  pg_get_indexdef(indexrelid) as definition, (count(*) over ())::int as total
from dup
order by bytes desc, 1, 2, 3
limit $1`;

export const INVALID_INDEXES_SQL = `
select n.nspname as schema, t.relname as table, c.relname as index, pg_relation_size(c.oid)::float8 as bytes, pg_get_indexdef(c.oid) as definition
from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
where not i.indisvalid and ${NOT_SYSTEM}
order by 1, 2, 3
limit 50`;

export const INVALID_CONSTRAINTS_SQL = `
select n.nspname as schema, t.relname as table, con.conname as constraint
from pg_constraint con join pg_class t on t.oid = con.conrelid join pg_namespace n on n.oid = t.relnamespace
where not con.convalidated and ${NOT_SYSTEM}
order by 1, 2, 3
limit 50`;

/**
 * Sequences against the smaller of their own maximum and the type of the column they feed (a bigint sequence
 * behind an integer column overflows at 2^31). Ascending sequences only. $1 = top N.
 */
export const SEQUENCES_SQL = `
with seq as (
  select s.schemaname as schema, s.sequencename as sequence, s.last_value::float8 as last_value, s.max_value::float8 as seq_max,
    has_sequence_privilege(format('%I.%I', s.schemaname, s.sequencename), 'SELECT,USAGE') as readable,
    col.column_name, col.type_max
  from pg_sequences s
  join pg_namespace sn on sn.nspname = s.schemaname
  join pg_class sc on sc.relnamespace = sn.oid and sc.relname = s.sequencename
  left join lateral (
    select format('%s.%s.%s', tn.nspname, t.relname, a.attname) as column_name,
      case a.atttypid when 'int2'::regtype then 32767::float8 when 'int4'::regtype then 2147483647::float8 else 9223372036854775807::float8 end as type_max
    from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
    join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
    where d.classid = 'pg_class'::regclass and d.objid = sc.oid and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    limit 1
  ) col on true
  where s.increment_by > 0
)
select schema, sequence, column_name, last_value, least(seq_max, coalesce(type_max, seq_max)) as max_value, readable,
  (count(*) filter (where not readable) over ())::int as unreadable
from seq
order by coalesce(last_value, 0) / least(seq_max, coalesce(type_max, seq_max)) desc, 1, 2
limit $1`;

/** pg_stat_statements renamed total_time/mean_time to total_exec_time/mean_exec_time in PostgreSQL 13. $1 = top N. */
export function topQueriesSql(versionNum: number, schema: string): string {
  const total = versionNum >= 130000 ? 'total_exec_time' : 'total_time';
  const mean = versionNum >= 130000 ? 'mean_exec_time' : 'mean_time';
  const view = `${quoteIdent(schema)}.pg_stat_statements`;
  return `
select left(query, 4000) as query, calls::float8 as calls, ${total}::float8 as total_ms, ${mean}::float8 as mean_ms, rows::float8 as rows,
  (${total} / nullif(sum(${total}) over (), 0))::float8 as share
from ${view}
where dbid = (select oid from pg_database where datname = current_database())
order by ${total} desc
limit $1`;
}

export const REPLICA_LAG_SQL = `
select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
  else extract(epoch from now() - pg_last_xact_replay_timestamp()) end::float8 as lag_sec`;

export const REPLICAS_SQL = `
select a.application_name, ${CLIENT} as client, a.state, extract(epoch from a.replay_lag)::float8 as replay_lag_sec,
  pg_wal_lsn_diff(pg_current_wal_lsn(), a.replay_lsn)::float8 as bytes_behind
from pg_stat_replication a
order by 1`;

export const SLOTS_SQL = `
select slot_name as name, slot_type as type, active,
  case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 end as retained_bytes
from pg_replication_slots
order by active, retained_bytes desc nulls last, 1`;

/**
 * One backend of this database for `db cancel` / `db kill`. duration_sec: since its statement started while it runs
 * one, else since its state changed (how long it has been idle, or idle in transaction).
 */
export const SESSION_SQL = `
select ${SESSION_COLUMNS},
  extract(epoch from now() - coalesce(case when a.state <> 'active' then a.state_change end, a.query_start, a.state_change))::float8 as duration_sec,
  a.query_start, ${HIDDEN} as hidden, pg_blocking_pids(a.pid) as blocked_by
from pg_stat_activity a
where a.pid = $1 and a.datname = current_database()`;

/** The sessions waiting on backend $1 (directly: it is in their pg_blocking_pids). */
export function waitersSql(versionNum: number): string {
  return `
select ${SESSION_COLUMNS},
  extract(epoch from now() - coalesce(a.query_start, a.state_change))::float8 as duration_sec,
  a.query_start, ${HIDDEN} as hidden, pg_blocking_pids(a.pid) as blocked_by, ${waitSecSql(versionNum)} as wait_sec
from pg_stat_activity a
where $1 = any(pg_blocking_pids(a.pid))
order by a.pid
limit 50`;
}

/** After a signal: what each former waiter waits for now (a missing row: the session has ended). $1 = pids. */
export const WAITERS_AFTER_SQL = `
select a.pid, pg_blocking_pids(a.pid) as blocked_by from pg_stat_activity a where a.pid = any($1::int[])`;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// --- the adapter ---------------------------------------------------------------------------------------------

export interface PgExecutorOptions {
  /**
   * RDS IAM authentication: returns a token used as the password (e.g. `new Signer({...}).getAuthToken()` from
   * `@aws-sdk/rds-signer`, built in main.ts). Without it, databases marked `iamAuth` get a clear error.
   */
  iamToken?: (target: { host: string; port: number; user: string; region: string }) => Promise<string>;
  /** How long `db cancel` / `db kill` watch for the backend to stop. */
  signalWaitMs?: number;
}

type Row = Record<string, unknown>;

interface Session {
  client: pg.Client;
  statements: number;
  queries: number;
}

export function createPgExecutor(options: PgExecutorOptions = {}): PgClient {
  return {
    collect: (conn, opts) => collect(conn, opts, options),
    inspect: (conn, pid, opts) => inspect(conn, pid, options, opts?.connectTimeoutMs ?? 5000),
    cancel: (conn, pid, opts) => signalBackend(conn, pid, 'cancel', options, opts?.connectTimeoutMs ?? 5000),
    terminate: (conn, pid, opts) => signalBackend(conn, pid, 'terminate', options, opts?.connectTimeoutMs ?? 5000),
  };
}

/** host:port of a connection URL, without credentials; `unknown host` when the URL cannot be parsed. */
export function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || new URLSearchParams(u.search).get('host') || 'localhost';
    return `${host}:${u.port || '5432'}`;
  } catch {
    return 'unknown host';
  }
}

async function connect(conn: PgConnection, connectTimeoutMs: number, options: PgExecutorOptions, signal?: AbortSignal): Promise<pg.Client> {
  const endpoint = endpointOf(conn.url);
  const config: pg.ClientConfig = { connectionString: conn.url, connectionTimeoutMillis: connectTimeoutMs, application_name: MEDIC_APPLICATION_NAME };
  if (conn.rds?.iamAuth) {
    if (!options.iamToken) {
      throw new UserError(`${conn.label} uses RDS IAM authentication, but this Medic has no IAM token signer configured.`, 'Configure the RDS signer in Medic, or put a password in the connection URL and set `iamAuth: false`.');
    }
    const u = new URL(conn.url);
    config.password = await options.iamToken({ host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), region: conn.rds.region });
  }
  const client = new pg.Client(config);
  // A server that goes away mid-report emits 'error' on the client; unhandled, it would kill the worker.
  client.on('error', () => undefined);
  const abort = (): void => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    if (signal?.aborted) throw new UserError(`The check of ${conn.label} was cancelled.`);
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectError(conn, endpoint, connectTimeoutMs, e);
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** One attempt, no retry loop: the message names the host and what to check, and the job is not retried. */
function connectError(conn: PgConnection, endpoint: string, timeoutMs: number, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const code = (e as { code?: string }).code;
  const msg = errorMessage(e);
  const where = `${conn.label} at ${endpoint}`;
  if (code === 'ECONNREFUSED') return new UserError(`Cannot connect to ${where}: connection refused.`, 'Check that PostgreSQL is running there, that the host and port in the connection URL are right, and that security groups / pg_hba allow Medic.');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UserError(`Cannot connect to ${where}: the host name does not resolve.`, 'Check the host in the connection URL (and DNS from the worker).');
  if (/timeout/i.test(msg) || code === 'ETIMEDOUT') return new UserError(`Cannot connect to ${where}: no answer within ${Math.round(timeoutMs / 1000)} s.`, 'Check network reachability from the worker (VPC, security groups, firewall) and that the database is up.');
  if (code === '28P01' || code === '28000') return new UserError(`${where} refused Medic's login: ${msg}.`, 'Check the user and password (or IAM token) in the connection URL and pg_hba.conf.');
  if (code === '3D000') return new UserError(`${where}: ${msg}.`, 'Check the database name in the connection URL.');
  if (code === '53300') return new UserError(`${where} has no free connection slots: ${msg}.`, 'The database is at max_connections; look at its connections from another role or the RDS console.');
  return new UserError(`Cannot connect to ${where}: ${msg}.`, 'Check the connection URL, the network path and that the database is up.');
}

async function run(s: Session, sql: string, params: unknown[] = [], isCheck = true): Promise<Row[]> {
  s.statements++;
  if (isCheck) s.queries++;
  const r = await s.client.query<Row>(sql, params);
  return r.rows;
}

async function collect(conn: PgConnection, opts: PgCollectOptions, options: PgExecutorOptions): Promise<PgSnapshot> {
  const started = Date.now();
  const client = await connect(conn, opts.connectTimeoutMs, options, opts.signal);
  const onAbort = (): void => void client.end().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const s: Session = { client, statements: 0, queries: 0 };
  const notices: PgNotice[] = [];
  try {
    await run(s, 'begin read only', [], false);
    // SET LOCAL does not take parameters; the values are validated integers.
    await run(s, `set local statement_timeout = ${Math.trunc(opts.statementTimeoutMs)}`, [], false);
    await run(s, `set local lock_timeout = ${Math.trunc(opts.lockTimeoutMs)}`, [], false);
    const [srv] = await run(s, SERVER_SQL);
    if (!srv) throw new Error('the server information query returned no row');
    const versionNum = Number(srv.version_num);
    const superuser = srv.superuser === true;
    const pgMonitor = superuser || srv.pg_monitor === true;
    const user = String(srv.user);
    const isReplica = srv.is_replica === true;

    /**
     * Runs one check behind a savepoint; a failure becomes a notice on its section and the fallback value.
     * `prelude` holds SET LOCAL statements for this check only (the rollback to the savepoint undoes them).
     */
    const check = async <T>(section: PgNotice['section'], what: string, sql: string, params: unknown[], map: (rows: Row[]) => T, fallback: T, prelude: string[] = []): Promise<T> => {
      await run(s, 'savepoint medic_check', [], false);
      try {
        for (const p of prelude) await run(s, p, [], false);
        const rows = await run(s, sql, params);
        // Rolling back (not releasing) the savepoint drops the relation locks this check took: the report is
        // read-only, so nothing is lost, and DDL is not kept waiting behind locks on every table until commit.
        await run(s, 'rollback to savepoint medic_check', [], false);
        return map(rows);
      } catch (e) {
        if (opts.signal?.aborted) throw new UserError(`The check of ${conn.label} was cancelled.`);
        await run(s, 'rollback to savepoint medic_check', [], false);
        notices.push({ section, incomplete: true, message: `${what} failed: ${errorMessage(e)}` });
        return fallback;
      }
    };

    if (!pgMonitor) {
      const grant = `GRANT pg_monitor TO ${user}`;
      notices.push(
        { section: 'longRunning', incomplete: true, message: `Role ${user} lacks pg_monitor: pg_stat_activity hides other roles' state, durations, wait events, client addresses and query text, so long-running queries are checked only for ${user}'s own sessions (${grant}).` },
        { section: 'idleInTransaction', incomplete: true, message: `Sessions idle in transaction of other roles are invisible to ${user} (no pg_monitor).` },
        { section: 'connections', incomplete: false, message: `Connection counts are complete, but client addresses of other roles' sessions are hidden (no pg_monitor).` },
        { section: 'tableBloat', incomplete: true, message: `Bloat estimates need pg_stats rows, which ${user} sees only for columns it may read; other tables are left out (no pg_monitor).` },
        { section: 'indexBloat', incomplete: true, message: `Index bloat estimates are likewise limited to tables whose columns ${user} may read (no pg_monitor).` },
        { section: 'topQueries', incomplete: true, message: `pg_stat_statements shows other roles' query text as <insufficient privilege> (no pg_read_all_stats / pg_monitor).` },
      );
      if (!isReplica) notices.push({ section: 'replication', incomplete: true, message: `pg_stat_replication hides replica state and lag from ${user} (no pg_monitor).` });
    }

    const n = opts.topN;
    const longRunning = await check('longRunning', 'Long-running queries', LONG_RUNNING_SQL, [opts.longQuerySec], (r) => r.map(toSession), []);
    const idleInTransaction = await check('idleInTransaction', 'Sessions idle in transaction', IDLE_IN_TRANSACTION_SQL, [opts.idleInTransactionSec], (r) => r.map(toSession), []);
    const blockRows = await check('blocking', 'Blocking chains', blockingSql(versionNum), [], (r) => r.map(toBlocked), []);
    // Who waits for whom is visible to every role; say exactly which sessions' details were not.
    const hiddenPids = blockRows.filter((b) => b.hidden).map((b) => b.pid);
    const noWait = blockRows.filter((b) => b.blockedBy.length > 0 && b.waitSec === null).map((b) => b.pid);
    if (hiddenPids.length || noWait.length) {
      const parts = [
        `${user} sees which sessions wait for which (pg_blocking_pids)${versionNum >= 140000 ? ' and how long each has waited (pg_locks)' : ''}`,
        hiddenPids.length ? `but not the state, query text or client of pid ${hiddenPids.join(', ')} (other roles' sessions)` : '',
        noWait.length ? `${hiddenPids.length ? 'nor' : 'but not'} how long pid ${noWait.join(', ')} ${noWait.length === 1 ? 'has' : 'have'} waited, so ${noWait.length === 1 ? 'it is' : 'they are'} reported whatever the wait` : '',
      ].filter(Boolean);
      notices.push({ section: 'blocking', incomplete: noWait.length > 0, message: `${parts.join(', ')}${pgMonitor ? '.' : ` (no pg_monitor: GRANT pg_monitor TO ${user}).`}` });
    }
    const connections = await check(
      'connections',
      'Connections',
      CONNECTIONS_SQL,
      [],
      (r) => ({
        total: r.length ? Number(r[0]!.total) : 0,
        max: Number(srv.max_connections),
        reservedSuperuser: Number(srv.reserved),
        bySource: r.map((row) => ({ database: str(row.datname), user: str(row.usename), application: str(row.application_name), client: str(row.client), count: Number(row.count) })),
      }),
      { total: 0, max: Number(srv.max_connections), reservedSuperuser: Number(srv.reserved), bySource: [] },
    );
    const tables = await check('sizes', 'Table sizes', TABLE_SIZES_SQL, [n], (r) => r.map((row) => ({ schema: String(row.schema), table: String(row.table), totalBytes: num(row.total_bytes), tableBytes: num(row.table_bytes), indexBytes: num(row.index_bytes), toastBytes: num(row.toast_bytes), estimatedRows: num(row.rows) })), []);
    const schemas = await check('sizes', 'Schema sizes', SCHEMA_SIZES_SQL, [n], (r) => r.map((row) => ({ name: String(row.name), bytes: num(row.bytes) })), []);
    const databases = await check('sizes', 'Database sizes', DATABASE_SIZES_SQL, [n], (r) => r.filter((row) => row.bytes !== null).map((row) => ({ name: String(row.name), bytes: num(row.bytes) })), []);
    const vacuum = await check('vacuum', 'Vacuum statistics', VACUUM_SQL, [n], (r) =>
      r.map((row) => {
        const live = num(row.live);
        const dead = num(row.dead);
        return { schema: String(row.schema), table: String(row.table), liveTuples: live, deadTuples: dead, deadRatio: live + dead > 0 ? dead / (live + dead) : 0, lastVacuum: iso(row.last_vacuum), lastAutovacuum: iso(row.last_autovacuum), lastAnalyze: iso(row.last_analyze), lastAutoanalyze: iso(row.last_autoanalyze), autovacuumEnabled: row.autovacuum_enabled !== false };
      }), []);
    // The bloat estimates join pg_stats by name. On big catalogs the planner's row estimates for the catalogs are
    // poor and it picks nested loops that ran for minutes on 5,000 tables (bench/db.ts); hash joins take a second
    // or two. Parallel workers only add start-up cost to catalog scans on a busy server.
    const slow = [`set local statement_timeout = ${Math.trunc(opts.slowStatementTimeoutMs)}`, 'set local enable_nestloop = off', 'set local max_parallel_workers_per_gather = 0'];
    const tableBloat = await check('tableBloat', 'Table bloat estimate', TABLE_BLOAT_SQL, [n], (r) => r.map(toBloat), [], slow);
    const indexBloat = await check('indexBloat', 'Index bloat estimate', INDEX_BLOAT_SQL, [n], (r) => r.map(toBloat), [], slow);
    const wrapRows = await check('wraparound', 'Transaction ID age', WRAPAROUND_SQL, [n], (r) => r, []);
    const toWrap = (row: Row): PgWraparoundRow => ({ name: String(row.name), age: num(row.age), left: 2146483648 - num(row.age) });
    const cacheHit = await check('cacheHit', 'Cache hit rate', CACHE_HIT_SQL, [], (r) => ({ table: numOrNull(r[0]?.table_rate), index: numOrNull(r[0]?.index_rate) }), { table: null, index: null });
    const totals: Record<string, number> = {};
    const unusedIndexes = await check('indexes', 'Unused indexes', UNUSED_INDEXES_SQL, [opts.unusedIndexMaxScans, opts.unusedIndexMinBytes, 50], (r) => {
      totals.unusedIndexes = r.length ? Number(r[0]!.total) : 0;
      return r.map(toIndex);
    }, []);
    const duplicateIndexes = await check('indexes', 'Duplicate indexes', DUPLICATE_INDEXES_SQL, [50], (r) => {
      totals.duplicateIndexes = r.length ? Number(r[0]!.total) : 0;
      return r.map(toIndex);
    }, []);
    const invalidIndexes = await check('indexes', 'Invalid indexes', INVALID_INDEXES_SQL, [], (r) => r.map(toIndex), []);
    const invalidConstraints = await check('indexes', 'Invalid constraints', INVALID_CONSTRAINTS_SQL, [], (r) => r.map((row) => ({ schema: String(row.schema), table: String(row.table), constraint: String(row.constraint) })), []);
    const sequences = await check('sequences', 'Sequences', SEQUENCES_SQL, [n], (r) => {
      const unreadable = r.length ? Number(r[0]!.unreadable) : 0;
      if (unreadable > 0) notices.push({ section: 'sequences', incomplete: true, message: `${unreadable} sequence(s) cannot be read by ${user} (needs SELECT or USAGE on them); their overflow risk is unknown.` });
      return r.filter((row) => row.readable === true && row.last_value !== null).map((row) => {
        const last = num(row.last_value);
        const max = num(row.max_value);
        return { schema: String(row.schema), sequence: String(row.sequence), column: str(row.column_name), lastValue: last, maxValue: max, ratio: max > 0 ? last / max : 0 };
      });
    }, []);

    let topQueries: PgSnapshot['topQueries'] = null;
    if (srv.pgss_schema == null) {
      notices.push({ section: 'topQueries', incomplete: true, message: 'pg_stat_statements is not installed in this database, so there are no top queries (CREATE EXTENSION pg_stat_statements; it must also be in shared_preload_libraries).' });
    } else {
      topQueries = await check('topQueries', 'Top queries (pg_stat_statements)', topQueriesSql(versionNum, String(srv.pgss_schema)), [n], (r) =>
        r.map((row) => ({ query: maskQuery(String(row.query ?? ''), 1000), calls: num(row.calls), totalMs: num(row.total_ms), meanMs: num(row.mean_ms), rows: num(row.rows), share: num(row.share) })), null);
    }

    const lagSec = isReplica ? await check('replication', 'Replica lag', REPLICA_LAG_SQL, [], (r) => numOrNull(r[0]?.lag_sec), null) : null;
    const replicas = isReplica ? [] : await check('replication', 'Replicas', REPLICAS_SQL, [], (r) => r.map((row) => ({ application: str(row.application_name), client: str(row.client), state: str(row.state), replayLagSec: numOrNull(row.replay_lag_sec), bytesBehind: numOrNull(row.bytes_behind) })), []);
    const slots = await check('replication', 'Replication slots', SLOTS_SQL, [], (r) => r.map((row) => ({ name: String(row.name), type: String(row.type), active: row.active === true, retainedBytes: numOrNull(row.retained_bytes) })), []);

    await run(s, 'commit', [], false);
    const ownPid = Number(srv.own_pid);
    return {
      server: {
        version: String(srv.version).split(' on ')[0] ?? String(srv.version),
        versionNum,
        database: String(srv.database),
        user,
        endpoint: endpointOf(conn.url),
        isReplica,
        maxConnections: Number(srv.max_connections),
        ownPid,
        collectedAt: iso(srv.collected_at) ?? new Date().toISOString(),
        statsResetAt: iso(srv.stats_reset),
      },
      privileges: { pgMonitor, superuser },
      notices,
      statements: s.statements,
      queries: s.queries,
      durationMs: Date.now() - started,
      longRunning,
      idleInTransaction,
      blocked: blockRows.filter((b) => b.blockedBy.length > 0),
      blockers: blockRows.filter((b) => b.blockedBy.length === 0),
      connections,
      tables,
      schemas,
      databases,
      vacuum,
      tableBloat,
      indexBloat,
      wraparound: {
        freezeMaxAge: num(srv.freeze_max_age),
        databases: wrapRows.filter((r) => r.kind === 'database').map(toWrap),
        tables: wrapRows.filter((r) => r.kind === 'table').map(toWrap),
      },
      cacheHit,
      unusedIndexes,
      duplicateIndexes,
      invalidIndexes,
      invalidConstraints,
      totals,
      sequences,
      topQueries,
      replication: { lagSec, replicas, slots },
    };
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (opts.signal?.aborted) throw new UserError(`The check of ${conn.label} was cancelled.`);
    throw new UserError(`The health check of ${conn.label} at ${endpointOf(conn.url)} failed: ${errorMessage(e)}.`, 'Check that the role Medic connects as may read the statistics views (grant pg_monitor), then try again.');
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

/** Reads one backend: the session, what it waits for, who waits for it, and whether Medic may signal it. */
async function inspectBackend(s: Session, conn: PgConnection, pid: number): Promise<{ view: PgBackendView | null; database: string; versionNum: number }> {
  const [own] = await run(s, `select pg_backend_pid() as pid, current_database() as db, current_setting('server_version_num')::int as version_num`);
  const database = String(own?.db);
  const versionNum = Number(own?.version_num);
  const [row] = await run(s, SESSION_SQL, [pid]);
  if (!row) return { view: null, database, versionNum };
  const session = toSession(row);
  const blocks = (await run(s, waitersSql(versionNum), [pid])).map(toBlocked);
  const view: PgBackendView = {
    database,
    endpoint: endpointOf(conn.url),
    session,
    runningStatement: session.hidden ? null : RUNNING_STATES.has(session.state ?? ''),
    blockedBy: (row.blocked_by as number[] | null) ?? [],
    blocks,
  };
  if (Number(own?.pid) === pid) view.refusal = `pid ${pid} is Medic's own session; refusing to signal it.`;
  else if (session.application === MEDIC_APPLICATION_NAME) view.refusal = `pid ${pid} is a Medic session (application_name ${MEDIC_APPLICATION_NAME}); refusing to signal it.`;
  return { view, database, versionNum };
}

/** States in which a backend is executing a statement that pg_cancel_backend can interrupt. */
const RUNNING_STATES = new Set(['active', 'fastpath function call']);

async function inspect(conn: PgConnection, pid: number, options: PgExecutorOptions, connectTimeoutMs: number): Promise<PgBackendView | null> {
  const client = await connect(conn, connectTimeoutMs, options);
  try {
    return (await inspectBackend({ client, statements: 0, queries: 0 }, conn, pid)).view;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function signalBackend(conn: PgConnection, pid: number, mode: 'cancel' | 'terminate', options: PgExecutorOptions, connectTimeoutMs: number): Promise<PgSignalOutcome> {
  const client = await connect(conn, connectTimeoutMs, options);
  const s: Session = { client, statements: 0, queries: 0 };
  const waitMs = options.signalWaitMs ?? 5000;
  const deadline = Date.now() + waitMs;
  try {
    const refuse = (before: PgSession | null, detail: string, hint?: string): PgSignalOutcome => ({ pid, signalled: false, stopped: false, before, waiters: [], detail, ...(hint ? { hint } : {}) });
    const { view, database, versionNum } = await inspectBackend(s, conn, pid);
    if (!view) return refuse(null, `No session with pid ${pid} in database ${database}; it may already have ended.`, `Type \`db health ${conn.label}\` to list its sessions.`);
    const before = view.session;
    if (view.refusal) return refuse(before, view.refusal);
    if (mode === 'cancel') {
      // pg_cancel_backend interrupts a running statement and nothing else: on a session that is idle (in
      // transaction) it returns true and changes nothing, so Medic does not send it and says what would help.
      const idle = cancelWouldNotAct(view, conn.label);
      if (idle) return refuse(before, idle.detail, idle.hint);
    }
    const startedBefore = before.queryStart ?? null;
    let signalled: boolean;
    try {
      const sql = mode === 'cancel' ? 'select pg_cancel_backend($1) as ok' : versionNum >= 140000 ? `select pg_terminate_backend($1, ${Math.trunc(waitMs)}) as ok` : 'select pg_terminate_backend($1) as ok';
      const [r] = await run(s, sql, [pid]);
      // With a timeout (14+), false means the backend was signalled but had not ended when the timeout ran out;
      // the loop below then reports it as still connected instead of "not signalled".
      signalled = r?.ok === true || (mode === 'terminate' && versionNum >= 140000);
    } catch (e) {
      return refuse(before, `PostgreSQL refused: ${errorMessage(e)}.`);
    }
    const waitersBefore = view.blocks;
    if (!signalled) return { pid, signalled, stopped: false, before, waiters: [], detail: `PostgreSQL did not signal pid ${pid} (it may have just ended, or it is not a client backend).` };
    // The signal is asynchronous: look again until the statement (cancel) or the session (terminate) is gone.
    // A cancelled statement leaves state `active`; a statement that still reads `active` with another start time
    // is a new one, so the cancelled one is gone too.
    for (;;) {
      const [row] = await run(s, SESSION_SQL, [pid]);
      const now = row ? toSession(row) : null;
      const stopped = mode === 'terminate' ? !now : !now || !RUNNING_STATES.has(now.state ?? '') || (now.queryStart ?? null) !== startedBefore;
      if (stopped) {
        const detail = mode === 'terminate'
          ? `Session ${pid} was terminated${before.state?.startsWith('idle in transaction') || before.xactSec !== null ? '; its open transaction was rolled back' : ''}.`
          : now
            ? `The statement of pid ${pid} was cancelled (it had run ${formatSeconds(before.durationSec)}); the session is now ${now.state ?? 'in an unknown state'}${now.state === 'idle in transaction (aborted)' ? ': its transaction failed and waits for the client to roll it back' : ''}.`
            : `The statement of pid ${pid} was cancelled and the session has ended.`;
        const waiters = await recheckWaiters(s, pid, waitersBefore, deadline);
        return { pid, signalled, stopped: true, before, after: now, waiters, detail };
      }
      if (Date.now() >= deadline) {
        const waiters = await recheckWaiters(s, pid, waitersBefore, Date.now());
        return { pid, signalled, stopped: false, before, after: now, waiters, detail: `pid ${pid} was signalled but is still ${mode === 'cancel' ? 'running the same statement' : 'connected'} after ${Math.round(waitMs / 1000)} s (it may be in an uninterruptible wait).` };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The sessions that waited on `pid`, looked at again. Lock release follows the end of the statement or session
 * by a moment, so this polls (until `deadline`) while any of them still lists `pid`; what it reports is what it saw
 * last: still blocked (and by whom), free, or ended.
 */
async function recheckWaiters(s: Session, pid: number, before: PgBlockedSession[], deadline: number): Promise<PgWaiterOutcome[]> {
  if (before.length === 0) return [];
  const pids = before.map((b) => b.pid);
  for (;;) {
    const rows = await run(s, WAITERS_AFTER_SQL, [pids]);
    const now = new Map(rows.map((r) => [Number(r.pid), (r.blocked_by as number[] | null) ?? []]));
    const settled = [...now.values()].every((by) => !by.includes(pid));
    if (settled || Date.now() >= deadline) {
      return before.map((b) => ({ pid: b.pid, user: b.user, application: b.application, blockedByBefore: b.blockedBy, blockedByAfter: now.get(b.pid) ?? null }));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// --- row mapping -----------------------------------------------------------------------------------------------

function toSession(row: Row): PgSession {
  return {
    pid: Number(row.pid),
    user: str(row.usename),
    application: str(row.application_name),
    client: str(row.client),
    state: str(row.state),
    durationSec: Math.max(0, num(row.duration_sec)),
    xactSec: numOrNull(row.xact_sec),
    waitEventType: str(row.wait_event_type),
    waitEvent: str(row.wait_event),
    query: maskQuery(String(row.query ?? ''), 1000),
    backendType: str(row.backend_type),
    ...(row.hidden === true ? { hidden: true } : {}),
    ...('query_start' in row ? { queryStart: iso(row.query_start) } : {}),
  };
}

function toBlocked(row: Row): PgBlockedSession {
  return { ...toSession(row), blockedBy: (row.blocked_by as number[] | null) ?? [], waitSec: numOrNull(row.wait_sec) };
}

function toBloat(row: Row): PgBloatRow {
  const real = num(row.real_bytes);
  const bloat = num(row.bloat_bytes);
  const out: PgBloatRow = { schema: String(row.schema), table: String(row.table), realBytes: real, bloatBytes: bloat, bloatRatio: real > 0 ? bloat / real : 0 };
  if (row.index != null) out.index = String(row.index);
  return out;
}

function toIndex(row: Row): PgIndexRow {
  const out: PgIndexRow = { schema: String(row.schema), table: String(row.table), index: String(row.index), bytes: num(row.bytes), scans: num(row.scans), definition: String(row.definition ?? '') };
  if (row.covered_by != null) out.coveredBy = String(row.covered_by);
  return out;
}

function str(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}
function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}
function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
function iso(v: unknown): string | null {
  if (v instanceof Date) return v.toISOString();
  return v == null ? null : String(v);
}

/**
 * Query text for chat: literals (strings, dollar-quoted bodies, numbers) become `?` so customer data in WHERE
 * clauses does not land in a Webex space; identifiers stay readable. Whitespace collapsed, clipped to `max`.
 */
export function maskQuery(sql: string, max = 200): string {
  const masked = sql.replace(
    /("(?:[^"]|"")*")|(\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\3\$)|([Ee]'(?:[^'\\]|\\.|'')*'?)|('(?:[^']|'')*'?)|(?<![\w$.])(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w])/g,
    (m, ident: string | undefined, dollar: string | undefined) => (ident ? m : dollar ? '$$?$$' : m.startsWith("'") || /^[Ee]'/.test(m) ? "'?'" : '?'),
  );
  const flat = masked.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
