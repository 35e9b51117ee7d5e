import { z } from 'zod';

/**
 * The PostgreSQL port the `db.*` runbooks use: one read-only health snapshot, and signalling a backend.
 * src/executors/pg.ts implements the client part, src/executors/cloudwatch.ts the RDS metrics; main.ts composes
 * them with a secret resolver. Connection URLs are resolved at run time and never enter job data, results or logs.
 */

/** How to reach one database. `url` is a secret: only the port implementation may read or log its host part. */
export interface PgConnection {
  url: string;
  rds?: { instanceId: string; region: string; iamAuth: boolean };
  /** Display name (`env/db`) for errors and notices; never the URL. */
  label: string;
}

/** What the collector needs to know up front (filters applied in SQL so big clusters do not flood the report). */
export interface PgCollectOptions {
  /** Sessions running a statement at least this long are "long-running". */
  longQuerySec: number;
  /** Sessions idle in a transaction at least this long are listed. */
  idleInTransactionSec: number;
  /** Rows kept per table-like section (biggest tables, vacuum, bloat...). */
  topN: number;
  /** Per statement; the whole snapshot runs in one `BEGIN READ ONLY` transaction. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** The bloat estimates read `pg_stats` and can be slow on big catalogs, so they get their own budget. */
  slowStatementTimeoutMs: number;
  connectTimeoutMs: number;
  /** PgHero's unused-index filter: at most this many scans since the statistics reset, at least this size. */
  unusedIndexMaxScans: number;
  unusedIndexMinBytes: number;
  signal?: AbortSignal;
}

export interface PgSession {
  pid: number;
  user: string | null;
  application: string | null;
  /** Client address (or `local` for a Unix socket); null when hidden. */
  client: string | null;
  state: string | null;
  /** Seconds since the current statement started (long-running) or since the state changed (idle in transaction). */
  durationSec: number;
  /** Seconds since the transaction began; null outside a transaction. */
  xactSec: number | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** Truncated, literals masked. */
  query: string;
  backendType: string | null;
  /**
   * True when pg_stat_activity hid this session's state, times, wait event, client and query from Medic's role
   * (another role's session, no pg_monitor): pid, user and application are then all Medic knows.
   */
  hidden?: boolean;
  /** When the current (or last) statement started, ISO; null when hidden or never ran one. */
  queryStart?: string | null;
}

export interface PgBlockedSession extends PgSession {
  blockedBy: number[];
  /**
   * Seconds this session has waited for its lock: pg_locks.waitstart (PostgreSQL 14+, visible without pg_monitor),
   * else since its statement started; null when neither is visible to Medic's role.
   */
  waitSec: number | null;
}

export interface PgConnectionSource {
  database: string | null;
  user: string | null;
  application: string | null;
  client: string | null;
  count: number;
}

export interface PgTableSize {
  schema: string;
  table: string;
  totalBytes: number;
  tableBytes: number;
  indexBytes: number;
  toastBytes: number;
  estimatedRows: number;
}

export interface PgNamedSize {
  name: string;
  bytes: number;
}

export interface PgVacuumRow {
  schema: string;
  table: string;
  liveTuples: number;
  deadTuples: number;
  /** dead / (live + dead); 0 for an empty table. */
  deadRatio: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  autovacuumEnabled: boolean;
}

/** Statistics-based estimate (ioguix/pgx_scripts method): often off by ±20 %, good for ranking, not for billing. */
export interface PgBloatRow {
  schema: string;
  table: string;
  /** Set for index bloat. */
  index?: string;
  realBytes: number;
  bloatBytes: number;
  bloatRatio: number;
}

export interface PgWraparoundRow {
  /** `schema.table`, or a database name for database rows. */
  name: string;
  age: number;
  /** Transactions left before PostgreSQL stops accepting writes (2^31 - 1M - age). */
  left: number;
}

export interface PgIndexRow {
  schema: string;
  table: string;
  index: string;
  bytes: number;
  scans: number;
  definition: string;
  /** Duplicate indexes: the index that makes this one unneeded. */
  coveredBy?: string;
}

export interface PgConstraintRow {
  schema: string;
  table: string;
  constraint: string;
}

export interface PgSequenceRow {
  schema: string;
  sequence: string;
  /** `schema.table.column` when the sequence feeds a column (whose type may overflow first). */
  column: string | null;
  lastValue: number;
  maxValue: number;
  ratio: number;
}

export interface PgTopQuery {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of the total execution time of all statements. */
  share: number;
}

export interface PgReplica {
  application: string | null;
  client: string | null;
  state: string | null;
  replayLagSec: number | null;
  bytesBehind: number | null;
}

export interface PgReplicationSlot {
  name: string;
  type: string;
  active: boolean;
  retainedBytes: number | null;
}

/** Sections whose numbers depend on privileges; a hidden section is graded `unknown`, never `ok`. */
export type PgSection =
  | 'longRunning'
  | 'idleInTransaction'
  | 'blocking'
  | 'connections'
  | 'vacuum'
  | 'tableBloat'
  | 'indexBloat'
  | 'wraparound'
  | 'cacheHit'
  | 'indexes'
  | 'sequences'
  | 'topQueries'
  | 'replication'
  | 'sizes';

export interface PgNotice {
  /** The section the notice is about, or undefined for general notices. */
  section?: PgSection;
  /** Whether the section's numbers are incomplete (then it is graded `unknown`, not `ok`). */
  incomplete: boolean;
  message: string;
}

export interface PgSnapshot {
  server: {
    version: string;
    versionNum: number;
    database: string;
    user: string;
    /** host:port as the connection URL names it (no credentials). */
    endpoint: string;
    isReplica: boolean;
    maxConnections: number;
    /** Medic's own backend: never cancelled, never listed as a finding. */
    ownPid: number;
    collectedAt: string;
    /** When this database's statistics were last reset (unused-index counts start there). */
    statsResetAt: string | null;
  };
  privileges: { pgMonitor: boolean; superuser: boolean };
  notices: PgNotice[];
  /** Statements sent to the server for this snapshot (checks plus transaction/savepoint control). */
  statements: number;
  /** Of which, check queries. */
  queries: number;
  durationMs: number;
  longRunning: PgSession[];
  idleInTransaction: PgSession[];
  /** Sessions waiting on a lock, with the pids holding them. */
  blocked: PgBlockedSession[];
  /** Sessions that block others without being blocked themselves: the roots of the chains. */
  blockers: PgBlockedSession[];
  connections: { total: number; max: number; reservedSuperuser: number; bySource: PgConnectionSource[] };
  tables: PgTableSize[];
  schemas: PgNamedSize[];
  databases: PgNamedSize[];
  vacuum: PgVacuumRow[];
  tableBloat: PgBloatRow[];
  indexBloat: PgBloatRow[];
  wraparound: { freezeMaxAge: number; databases: PgWraparoundRow[]; tables: PgWraparoundRow[] };
  cacheHit: { table: number | null; index: number | null };
  unusedIndexes: PgIndexRow[];
  duplicateIndexes: PgIndexRow[];
  invalidIndexes: PgIndexRow[];
  invalidConstraints: PgConstraintRow[];
  /** Exact counts where the lists above are clipped (`unusedIndexes`, `duplicateIndexes`). */
  totals: Record<string, number>;
  sequences: PgSequenceRow[];
  /** null when pg_stat_statements is not available (a notice says why). */
  topQueries: PgTopQuery[] | null;
  replication: {
    /** On a replica: seconds behind the primary's last replayed transaction. */
    lagSec: number | null;
    replicas: PgReplica[];
    slots: PgReplicationSlot[];
  };
}

/** One backend as `db cancel` / `db kill` see it before acting (the approval card shows it, the signal re-reads it). */
export interface PgBackendView {
  /** current_database() of the connection. */
  database: string;
  /** host:port, never credentials. */
  endpoint: string;
  session: PgSession;
  /** Whether it runs a statement now (state `active`); null when its state is hidden from Medic's role. */
  runningStatement: boolean | null;
  /** pids this backend waits for (pg_blocking_pids). */
  blockedBy: number[];
  /** Sessions waiting for a lock this backend holds or waits ahead of. */
  blocks: PgBlockedSession[];
  /** Set when Medic will not signal it (its own session, another Medic session). */
  refusal?: string;
}

/** A session that waited on the signalled backend, looked at again after the signal. */
export interface PgWaiterOutcome {
  pid: number;
  user: string | null;
  application: string | null;
  /** The pids it waited for before the signal. */
  blockedByBefore: number[];
  /** The pids it waits for after the signal: [] when no longer blocked, null when the session has ended. */
  blockedByAfter: number[] | null;
}

/** The outcome of `db cancel` / `db kill`. */
export interface PgSignalOutcome {
  pid: number;
  /** What pg_cancel_backend / pg_terminate_backend returned (false when Medic refused to send it). */
  signalled: boolean;
  /**
   * Verified: the statement (cancel: the session left state `active` or started another statement) or the session
   * (kill: gone from pg_stat_activity) is gone when Medic looked again. Never set from the signal's return value.
   */
  stopped: boolean;
  /** The session as it was before the signal (null when no such backend was in this database). */
  before: PgSession | null;
  /** The session after the signal (null when it has ended; absent when Medic did not signal). */
  after?: PgSession | null;
  /** Sessions that were blocked by this backend before the signal, re-checked after it. */
  waiters: PgWaiterOutcome[];
  detail: string;
  /** What to do instead, when nothing was done (e.g. `db kill` for a session with no running statement). */
  hint?: string;
}

/** The PostgreSQL client part, implemented by src/executors/pg.ts. */
export interface PgClient {
  collect(conn: PgConnection, opts: PgCollectOptions): Promise<PgSnapshot>;
  /** The backend `pid` in this database, or null when there is none (read-only; used before approval). */
  inspect(conn: PgConnection, pid: number, opts?: { connectTimeoutMs?: number }): Promise<PgBackendView | null>;
  cancel(conn: PgConnection, pid: number, opts?: { connectTimeoutMs?: number }): Promise<PgSignalOutcome>;
  terminate(conn: PgConnection, pid: number, opts?: { connectTimeoutMs?: number }): Promise<PgSignalOutcome>;
}

export const RDS_METRICS = ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections', 'ReadIOPS', 'WriteIOPS', 'ReplicaLag'] as const;
export type RdsMetricName = (typeof RDS_METRICS)[number];

export interface RdsMetricSeries {
  metric: RdsMetricName;
  /** Oldest first. */
  points: Array<{ at: string; value: number }>;
  latest: number | null;
  max: number | null;
  avg: number | null;
}

export interface RdsMetrics {
  instanceId: string;
  region: string;
  from: string;
  to: string;
  series: RdsMetricSeries[];
}

/** CloudWatch for RDS instances, implemented by src/executors/cloudwatch.ts. */
export interface RdsMetricsClient {
  lastHour(rds: { instanceId: string; region: string }, opts?: { now?: number; signal?: AbortSignal }): Promise<RdsMetrics>;
}

/**
 * What the `db.*` runbooks get in `RunbookServices.pg`. main.ts composes it: the pg executor, the CloudWatch
 * reader (optional), a secret resolver (environment variables in production) and the configured thresholds.
 */
export interface PgPort extends PgClient {
  /** Resolves an inventory `urlEnv` name to the connection URL; undefined when unset. */
  resolveSecret(name: string): string | undefined;
  rdsMetrics?: RdsMetricsClient;
  /** Overrides of the health thresholds (config `dbHealth:`); defaults are PgHero's. */
  thresholds?: PgHealthThresholdsInput;
}

/**
 * Grading thresholds for `db health`. Where PgHero has a default it is used for `warn` (noted below); the
 * `critical` levels are Medic's. Config key `dbHealth:` takes any subset; zod errors name the key.
 */
export const PgHealthThresholdsSchema = z
  .object({
    /** PgHero `long_running_query_sec` = 60. */
    longQueryWarnSec: z.number().positive().default(60),
    longQueryCriticalSec: z.number().positive().default(300),
    idleInTransactionWarnSec: z.number().positive().default(60),
    idleInTransactionCriticalSec: z.number().positive().default(600),
    /** PgHero: fewer than 100 sessions idle in transaction. */
    idleInTransactionCountWarn: z.number().int().positive().default(100),
    blockedWarnSec: z.number().nonnegative().default(10),
    blockedCriticalSec: z.number().positive().default(60),
    /** PgHero `total_connections_threshold` = 500. */
    connectionsWarn: z.number().int().positive().default(500),
    /** Share of max_connections (minus superuser_reserved_connections). */
    connectionsWarnRatio: z.number().min(0).max(1).default(0.8),
    connectionsCriticalRatio: z.number().min(0).max(1).default(0.95),
    /** PgHero `cache_hit_rate_threshold` = 99 %. */
    cacheHitWarn: z.number().min(0).max(1).default(0.99),
    cacheHitCritical: z.number().min(0).max(1).default(0.95),
    deadRatioWarn: z.number().min(0).max(1).default(0.2),
    deadRatioCritical: z.number().min(0).max(1).default(0.5),
    /** Tables with fewer dead tuples are not worth a finding whatever the ratio. */
    deadTuplesMin: z.number().int().nonnegative().default(1000),
    bloatWarnRatio: z.number().min(0).max(1).default(0.5),
    bloatCriticalRatio: z.number().min(0).max(1).default(0.8),
    /** Below this much estimated bloat a table or index is not worth a finding. */
    bloatMinBytes: z.number().int().nonnegative().default(1024 * 1024),
    /** PgHero `transaction_id_danger` threshold = 1.5 billion transactions left. */
    wraparoundWarnLeft: z.number().int().positive().default(1_500_000_000),
    wraparoundCriticalLeft: z.number().int().positive().default(500_000_000),
    /** PgHero `sequence_danger` threshold = 0.9. */
    sequenceWarnRatio: z.number().min(0).max(1).default(0.9),
    sequenceCriticalRatio: z.number().min(0).max(1).default(0.98),
    /** PgHero lists indexes with no scans since the statistics reset (primary and unique indexes excluded). */
    unusedIndexMaxScans: z.number().int().nonnegative().default(0),
    unusedIndexMinBytes: z.number().int().nonnegative().default(0),
    /** PgHero slow queries: mean ≥ 20 ms and ≥ 100 calls. */
    slowQueryMeanMs: z.number().nonnegative().default(20),
    slowQueryMinCalls: z.number().int().nonnegative().default(100),
    /** PgHero: replica lag under 5 s is healthy. */
    replicaLagWarnSec: z.number().nonnegative().default(5),
    replicaLagCriticalSec: z.number().positive().default(60),
    rdsCpuWarn: z.number().min(0).max(100).default(80),
    rdsCpuCritical: z.number().min(0).max(100).default(95),
    rdsFreeStorageWarnBytes: z.number().nonnegative().default(10 * 1024 ** 3),
    rdsFreeStorageCriticalBytes: z.number().nonnegative().default(2 * 1024 ** 3),
    /** Rows kept per section in the report and the card. */
    topN: z.number().int().min(1).max(100).default(10),
    statementTimeoutMs: z.number().int().positive().default(5000),
    lockTimeoutMs: z.number().int().positive().default(1000),
    slowStatementTimeoutMs: z.number().int().positive().default(30_000),
    connectTimeoutMs: z.number().int().positive().default(5000),
  })
  .strict();

export type PgHealthThresholds = z.output<typeof PgHealthThresholdsSchema>;
export type PgHealthThresholdsInput = z.input<typeof PgHealthThresholdsSchema>;

/** Thresholds with every default filled in (throws a ZodError naming the key on a bad override). */
export function resolvePgThresholds(overrides: PgHealthThresholdsInput = {}): PgHealthThresholds {
  return PgHealthThresholdsSchema.parse(overrides);
}
