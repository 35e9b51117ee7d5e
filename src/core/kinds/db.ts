import type { ResultBase } from '../result.js';
import type { PgBackendView, PgHealthThresholds, PgSignalOutcome, PgSnapshot, RdsMetrics } from '../pg-port.js';

/** `db health <env>[/<db>]`: no `db` means every database of the environment, in one summary. */
export interface DbHealthRequest {
  kind: 'db.health';
  env: string;
  db?: string;
}

/** `db cancel <env>/<db> <pid>` (risk change): pg_cancel_backend. */
export interface DbCancelRequest {
  kind: 'db.cancel';
  env: string;
  db: string;
  pid: number;
}

/** `db kill <env>/<db> <pid>` (risk destructive): pg_terminate_backend. */
export interface DbKillRequest {
  kind: 'db.kill';
  env: string;
  db: string;
  pid: number;
}

/** `unknown`: Medic could not see enough to grade (missing privilege, extension, metric); never shown as ok. */
export type CheckStatus = 'ok' | 'warn' | 'critical' | 'unknown';

export const CHECK_STATUS_RANK: Record<CheckStatus, number> = { critical: 3, warn: 2, unknown: 1, ok: 0 };

export type DbCheckId =
  | 'connect'
  | 'long-running'
  | 'idle-in-transaction'
  | 'blocking'
  | 'connections'
  | 'cache-hit'
  | 'dead-tuples'
  | 'table-bloat'
  | 'index-bloat'
  | 'wraparound'
  | 'unused-indexes'
  | 'duplicate-indexes'
  | 'invalid-indexes'
  | 'invalid-constraints'
  | 'sequences'
  | 'slow-queries'
  | 'replication'
  | 'replication-slots'
  | 'rds-cpu'
  | 'rds-storage'
  | 'rds-connections'
  | 'rds-replica-lag'
  | 'rds-metrics';

/** One graded check. `title` is one line a person reads; `details` are the rows behind it (already clipped). */
export interface DbCheck {
  id: DbCheckId;
  status: CheckStatus;
  title: string;
  details: string[];
  /** Backends the check is about (long-running queries), so the card can offer cancel/kill. */
  pids?: number[];
}

export interface DbReport {
  db: string;
  /** host:port from the connection URL, never credentials. */
  endpoint?: string;
  /** The worst status of its checks. */
  status: CheckStatus;
  /** Worst first. */
  checks: DbCheck[];
  snapshot?: PgSnapshot;
  rds?: RdsMetrics;
  /** Set when the database could not be checked at all (unreachable, no secret). */
  error?: { message: string; hint?: string };
}

export interface DbHealthResult extends ResultBase {
  kind: 'db.health';
  env: string;
  /** Set for a single-database request. */
  db?: string;
  status: CheckStatus;
  /** One per database, worst first. */
  reports: DbReport[];
  /** The thresholds the grades used, so the card and attachment can say what "warn" meant. */
  thresholds: PgHealthThresholds;
}

export interface DbSignalResult<K extends 'db.cancel' | 'db.kill'> extends ResultBase {
  kind: K;
  env: string;
  db: string;
  pid: number;
  outcome: PgSignalOutcome;
}

export type DbCancelResult = DbSignalResult<'db.cancel'>;
export type DbKillResult = DbSignalResult<'db.kill'>;

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'ok';
  for (const s of statuses) if (CHECK_STATUS_RANK[s] > CHECK_STATUS_RANK[worst]) worst = s;
  return worst;
}

/** 1536 → "1.5 KiB": sizes as a person reads them in cards and reports. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${bytes < 0 ? '-' : ''}${s} ${units[i]}`;
}

/** 3723 → "1 h 2 min": durations as a person reads them. */
export function formatSeconds(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function formatPercent(ratio: number, digits = 1): string {
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** The `db cancel` / `db kill` text a card button prefills; the same grammar commands/db.ts parses. */
export function dbSignalCommand(verb: 'cancel' | 'kill', env: string, db: string, pid: number): string {
  return `db ${verb} ${env}/${db} ${pid}`;
}

/**
 * Why `db cancel` would do nothing to this backend, or undefined when it would act. pg_cancel_backend interrupts a
 * running statement and nothing else: on a session that is idle, or idle in transaction holding locks, it returns
 * true and changes nothing. `label` is `env/db`, for the `db kill` suggestion.
 */
export function cancelWouldNotAct(view: PgBackendView, label: string): { detail: string; hint: string } | undefined {
  const s = view.session;
  const [env = '?', db = '?'] = label.split('/');
  const kill = `\`${dbSignalCommand('kill', env, db, s.pid)}\``;
  if (view.runningStatement === null) {
    return {
      detail: `Medic cannot see whether pid ${s.pid} runs a statement: its state is hidden from Medic's database role (no pg_monitor), so a cancel could not be verified.`,
      hint: `Grant pg_monitor to the role Medic connects as, or end the whole session with ${kill} (needs an approver).`,
    };
  }
  if (view.runningStatement) return undefined;
  const inTransaction = s.state?.startsWith('idle in transaction') ?? false;
  const holding = inTransaction ? `; its open transaction keeps its locks${view.blocks.length ? ` and blocks pid ${view.blocks.map((b) => b.pid).join(', ')}` : ''}` : '';
  return {
    detail: `pid ${s.pid} runs no statement: it has been ${s.state ?? 'in an unknown state'} for ${formatSeconds(s.durationSec)}${holding}. pg_cancel_backend would do nothing.`,
    hint: `${kill} ends the session${inTransaction ? ', rolls its transaction back and releases its locks' : ''} (needs an approver).`,
  };
}
