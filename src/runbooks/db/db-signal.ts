import { UserError } from '../../core/errors.js';
import type { DbSignalResult } from '../../core/kinds/db.js';
import type { PgConnection } from '../../core/pg-port.js';
import type { Runbook, RunbookContext } from '../../core/runbook.js';
import { requireDatabase, requireEnvironment, requirePg } from './db-health.js';

/**
 * `db cancel` (pg_cancel_backend) and `db kill` (pg_terminate_backend). They run only after the approval flow;
 * the executor refuses Medic's own sessions and reports whether the statement or session really stopped.
 */
async function signal<K extends 'db.cancel' | 'db.kill'>(kind: K, request: { env: string; db: string; pid: number }, ctx: RunbookContext): Promise<DbSignalResult<K>> {
  const port = requirePg(ctx);
  const spec = requireDatabase(request.env, requireEnvironment(ctx, request.env), request.db);
  const label = `${request.env}/${request.db}`;
  const url = port.resolveSecret(spec.urlEnv);
  if (!url) throw new UserError(`The connection URL of ${label} is not set: environment variable ${spec.urlEnv} is empty on worker ${ctx.workerId}.`, `Set ${spec.urlEnv} in the worker's environment and restart it.`);
  const conn: PgConnection = { url, label };
  if (spec.rds) conn.rds = spec.rds;
  const outcome = kind === 'db.cancel' ? await port.cancel(conn, request.pid) : await port.terminate(conn, request.pid);
  const verb = kind === 'db.cancel' ? 'cancel' : 'kill';
  const summary = outcome.stopped ? `${label}: ${outcome.detail}` : `${label}: could not ${verb} pid ${request.pid}: ${outcome.detail}`;
  return { kind, env: request.env, db: request.db, pid: request.pid, outcome, summary };
}

export const runDbCancel: Runbook<'db.cancel'> = (request, ctx) => signal('db.cancel', request, ctx);
export const runDbKill: Runbook<'db.kill'> = (request, ctx) => signal('db.kill', request, ctx);
