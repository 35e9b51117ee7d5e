import { UserError } from '../../core/errors.js';
import { cancelWouldNotAct, formatSeconds, type DbSignalResult } from '../../core/kinds/db.js';
import type { PgBackendView, PgConnection, PgSession } from '../../core/pg-port.js';
import type { PreflightContext, RequestPreview, Runbook, RunbookContext } from '../../core/runbook.js';
import { requireDatabase, requireEnvironment, requirePg } from './db-health.js';

/**
 * `db cancel` (pg_cancel_backend) and `db kill` (pg_terminate_backend). Before approval, `previewDbSignal` looks
 * the backend up and refuses what cannot work (no such pid, no running statement to cancel, a Medic session);
 * after approval the executor looks again, signals, and reports only what it verified.
 */
type SignalRequest = { env: string; db: string; pid: number };

async function signal<K extends 'db.cancel' | 'db.kill'>(kind: K, request: SignalRequest, ctx: RunbookContext): Promise<DbSignalResult<K>> {
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

/**
 * Before approval: the backend as it is now, in words, or a UserError when there is nothing to act on. When this
 * process cannot reach the database (no pg service or no URL here: a web process without the secrets), the
 * preview says so and the worker's own check after approval is the only one.
 */
async function previewDbSignal(kind: 'db.cancel' | 'db.kill', request: SignalRequest, ctx: PreflightContext): Promise<RequestPreview> {
  const label = `${request.env}/${request.db}`;
  const env = ctx.inventory[request.env];
  const spec = env ? requireDatabase(request.env, env, request.db) : undefined;
  const action = kind === 'db.cancel'
    ? `pg_cancel_backend(${request.pid}): interrupts the statement the session is running; the session stays connected.`
    : `pg_terminate_backend(${request.pid}): ends the session; an open transaction is rolled back and its locks released.`;
  const port = ctx.services.pg;
  const url = spec ? port?.resolveSecret(spec.urlEnv) : undefined;
  if (!port || !spec || !url) {
    return {
      facts: [['Database', label], ['Backend', `pid ${request.pid}`], ['Will run', action]],
      notes: [`Medic could not look pid ${request.pid} up before asking: this process has no connection to ${label}${spec && port ? ` (${spec.urlEnv} is not set here)` : ''}. The worker looks again before it signals and reports what it finds.`],
    };
  }
  const conn: PgConnection = { url, label };
  if (spec.rds) conn.rds = spec.rds;
  const view = await port.inspect(conn, request.pid);
  if (!view) {
    throw new UserError(`There is no session with pid ${request.pid} in ${label}; it may already have ended.`, `Type \`db health ${label}\` to list its sessions and their pids.`);
  }
  if (view.refusal) throw new UserError(view.refusal, `Type \`db health ${label}\` to find the session you mean.`);
  if (kind === 'db.cancel') {
    const idle = cancelWouldNotAct(view, label);
    if (idle) throw new UserError(idle.detail, idle.hint);
  }
  const at = new Date(ctx.clock.now()).toISOString().slice(11, 19);
  return { facts: backendFacts(view, label, action), notes: [`As Medic read it at ${at} UTC; the worker reads it again before it signals, and stops if it is gone.`] };
}

/** The backend in words: who it is, what it runs since when, whom it blocks. */
export function backendFacts(view: PgBackendView, label: string, action: string): Array<[string, string]> {
  const s = view.session;
  const who = (x: PgSession): string => `pid ${x.pid} (${x.user ?? '?'}, ${x.application || 'no application_name'})`;
  const facts: Array<[string, string]> = [
    ['Database', `${label}: database ${view.database} on ${view.endpoint}`],
    ['Backend', `pid ${s.pid}, user ${s.user ?? '?'}, application ${s.application || '(none)'}${s.client ? `, client ${s.client}` : ''}`],
  ];
  if (s.hidden) {
    facts.push(['State', "hidden from Medic's database role (no pg_monitor)"]);
  } else {
    const state = s.state === 'active' ? `running a statement for ${formatSeconds(s.durationSec)}` : `${s.state ?? '?'} for ${formatSeconds(s.durationSec)}`;
    facts.push(['State', `${state}${s.xactSec !== null ? `; transaction open ${formatSeconds(s.xactSec)}` : ''}${s.state === 'active' && s.waitEventType ? `; waiting on ${s.waitEventType}/${s.waitEvent ?? '?'}` : ''}`]);
    if (s.queryStart) facts.push([s.state === 'active' ? 'Query started' : 'Last query started', `${s.queryStart.slice(0, 19).replace('T', ' ')} UTC`]);
    if (s.query) facts.push([s.state === 'active' ? 'Query' : 'Last query', s.query.length > 300 ? `${s.query.slice(0, 299)}…` : s.query]);
  }
  facts.push(['Blocks', view.blocks.length ? view.blocks.map((b) => `${who(b)}${b.waitSec === null ? '' : `, waiting ${formatSeconds(b.waitSec)}`}`).join('; ') : 'no other session']);
  if (view.blockedBy.length) facts.push(['Waits for', `pid ${view.blockedBy.join(', ')}`]);
  facts.push(['Will run', action]);
  return facts;
}

export const previewDbCancel = (request: SignalRequest, ctx: PreflightContext): Promise<RequestPreview> => previewDbSignal('db.cancel', request, ctx);
export const previewDbKill = (request: SignalRequest, ctx: PreflightContext): Promise<RequestPreview> => previewDbSignal('db.kill', request, ctx);

