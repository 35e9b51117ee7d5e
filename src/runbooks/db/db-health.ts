import { gradePgSnapshot, gradeRdsMetrics, sortChecks } from '../../analyzers/pg/grade-pg-health.js';
import { formatDbHealthReport } from '../../analyzers/pg/format-db-health-report.js';
import { UserError, errorMessage, errorRef } from '../../core/errors.js';
import type { DatabaseSpec, Environment } from '../../core/inventory.js';
import { CHECK_STATUS_RANK, worstStatus, type DbCheck, type DbHealthResult, type DbReport } from '../../core/kinds/db.js';
import { resolvePgThresholds, type PgConnection, type PgHealthThresholds, type PgPort, type RdsMetrics } from '../../core/pg-port.js';
import type { Runbook, RunbookContext } from '../../core/runbook.js';
import type { JobResult } from '../../core/jobs.js';

/**
 * `db health`: one database, or every database of the environment in parallel within this job (each failure stays
 * in its own report, so one unreachable database does not hide the others). An unreachable database is a finding,
 * not a job failure: the job completes with a critical report and is never retried.
 */
export const runDbHealth: Runbook<'db.health'> = async (request, ctx) => {
  const port = requirePg(ctx);
  const env = requireEnvironment(ctx, request.env);
  const names = request.db ? [requireDatabase(request.env, env, request.db) && request.db] : Object.keys(env.databases);
  if (names.length === 0) throw new UserError(`Environment \`${request.env}\` has no databases in the inventory.`, 'Add them under `databases:` of the environment in the config file.');
  const thresholds = resolvePgThresholds(port.thresholds ?? {});
  let reports: DbReport[];
  if (!request.db && ctx.childResults) {
    // The flow's parent: each database was checked by its own child job; summarise what they found.
    reports = fromChildren(names, ctx.childResults);
  } else {
    let done = 0;
    reports = await Promise.all(
      names.map(async (name) => {
        const report = await checkDatabase(port, request.env, name, env.databases[name]!, thresholds, ctx);
        done++;
        if (names.length > 1) await ctx.progress(`checked ${done}/${names.length} databases`, done / names.length);
        return report;
      }),
    );
  }
  reports.sort((a, b) => CHECK_STATUS_RANK[b.status] - CHECK_STATUS_RANK[a.status] || a.db.localeCompare(b.db));
  const status = worstStatus(reports.map((r) => r.status));
  const result: DbHealthResult = { kind: 'db.health', env: request.env, status, reports, thresholds, summary: summarize(request.env, reports) };
  if (request.db) result.db = request.db;
  const name = `db-health-${request.env}${request.db ? `-${request.db}` : ''}-${new Date(ctx.clock.now()).toISOString().slice(0, 16).replace(/-/g, '').replace('T', '-').replace(':', '')}.txt`;
  result.attachments = [{ name, contentType: 'text/plain', content: formatDbHealthReport(result) }];
  return result;
};

/** Reports of the child jobs, one per database; a child that failed for good is reported as such. */
function fromChildren(names: string[], results: JobResult[]): DbReport[] {
  const byDb = new Map<string, DbReport>();
  for (const r of results) if (r.kind === 'db.health') for (const rep of r.reports) byDb.set(rep.db, rep);
  return names.map((db) => byDb.get(db) ?? failed(db, undefined, `The check job of ${db} failed; its error is in \`job\` of that child.`, 'Type `jobs` to find it, or run `db health` for that database alone.'));
}

async function checkDatabase(port: PgPort, envName: string, db: string, spec: DatabaseSpec, t: PgHealthThresholds, ctx: RunbookContext): Promise<DbReport> {
  const label = `${envName}/${db}`;
  const url = port.resolveSecret(spec.urlEnv);
  if (!url) {
    return failed(db, undefined, `The connection URL of ${label} is not set: environment variable ${spec.urlEnv} is empty on worker ${ctx.workerId}.`, `Set ${spec.urlEnv} in the worker's environment (or secret store) and restart it.`);
  }
  const conn: PgConnection = { url, label };
  if (spec.rds) conn.rds = spec.rds;
  const metrics = spec.rds ? readMetrics(port, spec.rds, ctx) : Promise.resolve(undefined);
  try {
    const snapshot = await port.collect(conn, {
      longQuerySec: t.longQueryWarnSec,
      idleInTransactionSec: t.idleInTransactionWarnSec,
      topN: t.topN,
      statementTimeoutMs: t.statementTimeoutMs,
      lockTimeoutMs: t.lockTimeoutMs,
      slowStatementTimeoutMs: t.slowStatementTimeoutMs,
      connectTimeoutMs: t.connectTimeoutMs,
      unusedIndexMaxScans: t.unusedIndexMaxScans,
      unusedIndexMinBytes: t.unusedIndexMinBytes,
      signal: ctx.signal,
    });
    const rds = await metrics;
    const checks = [...gradePgSnapshot(snapshot, t), ...(rds?.checks ?? [])];
    const report: DbReport = { db, endpoint: snapshot.server.endpoint, status: worstStatus(checks.map((c) => c.status)), checks: sortChecks(checks), snapshot };
    if (rds?.metrics) report.rds = rds.metrics;
    return report;
  } catch (e) {
    await metrics.catch(() => undefined);
    if (e instanceof UserError) return failed(db, undefined, e.message, e.hint);
    // Internal failure: the log line and the report carry the same reference, never the URL.
    const ref = errorRef();
    ctx.log.error({ err: errorMessage(e), ref, db: label }, 'db health check failed');
    return failed(db, undefined, `The check of ${label} failed unexpectedly (ref ${ref}).`, 'Medic logged the details under that reference.');
  }
}

async function readMetrics(port: PgPort, rds: NonNullable<DatabaseSpec['rds']>, ctx: RunbookContext): Promise<{ checks: DbCheck[]; metrics?: RdsMetrics }> {
  if (!port.rdsMetrics) return { checks: [{ id: 'rds-metrics', status: 'unknown', title: `RDS ${rds.instanceId}: CloudWatch is not configured in this Medic`, details: [] }] };
  try {
    const metrics = await port.rdsMetrics.lastHour(rds, { now: ctx.clock.now(), signal: ctx.signal });
    return { metrics, checks: gradeRdsMetrics(metrics, resolvePgThresholds(port.thresholds ?? {})) };
  } catch (e) {
    return { checks: [{ id: 'rds-metrics', status: 'unknown', title: `RDS ${rds.instanceId}: CloudWatch metrics unavailable`, details: [errorMessage(e)] }] };
  }
}

function failed(db: string, endpoint: string | undefined, message: string, hint?: string): DbReport {
  const report: DbReport = { db, status: 'critical', checks: [{ id: 'connect', status: 'critical', title: message, details: hint ? [hint] : [] }], error: hint ? { message, hint } : { message } };
  if (endpoint) report.endpoint = endpoint;
  return report;
}

function summarize(env: string, reports: DbReport[]): string {
  const part = (r: DbReport): string => {
    if (r.error) return `${env}/${r.db}: ${r.error.message}`;
    const bad = r.checks.filter((c) => c.status === 'critical' || c.status === 'warn');
    const crit = bad.filter((c) => c.status === 'critical').length;
    return bad.length === 0 ? `${env}/${r.db}: healthy` : `${env}/${r.db}: ${crit} critical, ${bad.length - crit} warn (${bad[0]!.title})`;
  };
  return reports.map(part).join('; ');
}

export function requirePg(ctx: RunbookContext): PgPort {
  const pg = ctx.services.pg;
  if (!pg) throw new UserError('Database checks are not configured on this Medic worker.', 'Ask an admin to enable the PostgreSQL service (services.pg in main.ts).');
  return pg;
}

export function requireEnvironment(ctx: RunbookContext, name: string): Environment {
  const env = ctx.inventory[name];
  if (!env) throw new UserError(`There is no environment \`${name}\`.`, 'Type `envs` to see the environments.');
  return env;
}

export function requireDatabase(envName: string, env: Environment, db: string): DatabaseSpec {
  const spec = env.databases[db];
  if (!spec) {
    const known = Object.keys(env.databases);
    throw new UserError(`Environment \`${envName}\` has no database \`${db}\`.`, known.length ? `Its databases: ${known.join(', ')}.` : 'It has no databases in the inventory.');
  }
  return spec;
}
