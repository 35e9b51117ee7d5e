import {
  dbSignalCommand,
  formatBytes,
  formatPercent,
  formatSeconds,
  type CheckStatus,
  type DbCancelResult,
  type DbCheck,
  type DbHealthResult,
  type DbKillResult,
  type DbReport,
} from '../src/core/kinds/db.js';
import type { PgSession } from '../src/core/pg-port.js';
import {
  adaptiveCard,
  clip,
  fallbackText,
  facts,
  heading,
  mono,
  plain,
  severityIcon,
  severityLine,
  submit,
  table,
  text,
  title,
  WEBEX_MAX_CARD_BYTES,
  type CardElement,
  type CardMessage,
  type Severity,
} from './card-kit.js';
import type { ResultMeta } from './result-meta.js';

/**
 * `db health` card: findings first (worst first), then the top rows of each table, then what is fine. Sections are
 * added in priority order while the card stays under Webex's size budget, so a database with many findings loses
 * its tail tables, never its findings; the full report is the attached text file.
 */

const SEVERITY: Record<CheckStatus, Severity> = { critical: 'critical', warn: 'warn', unknown: 'info', ok: 'ok' };
/** Room left for the card envelope and the final note. */
const BUDGET = WEBEX_MAX_CARD_BYTES - 1500;
const ROWS = 5;

export function dbHealthCard(result: DbHealthResult, meta: ResultMeta): CardMessage {
  const target = result.db ? `${result.env}/${result.db}` : result.env;
  const counts = countStatuses(result.reports.flatMap((r) => r.checks));
  const headline = `${severityIcon(SEVERITY[result.status])} db health ${target}: ${headlineText(result, counts)}`;
  const single = result.reports.length === 1 ? result.reports[0] : undefined;
  const head: CardElement[] = [...title(headline, subtitle(result, meta))];

  const sections: CardElement[][] = [];
  if (!single) sections.push(overview(result));
  // Findings of every database first, then each database's tables: a multi-database card shows what is wrong
  // everywhere before it shows any detail.
  for (const r of result.reports) sections.push(findings(result.env, r, !single));
  for (const r of result.reports) sections.push(...tables(result.env, r, !single));
  for (const r of result.reports) sections.push(okLine(r, !single));

  const body = [...head];
  let dropped = 0;
  for (const s of sections) {
    if (s.length === 0) continue;
    if (size([...body, ...s]) <= BUDGET) body.push(...s);
    else dropped++;
  }
  const attachment = result.attachments?.[0]?.name;
  body.push(text(`${dropped ? `${dropped} section${dropped === 1 ? '' : 's'} left out to fit the card. ` : ''}${attachment ? `Full report attached: ${attachment}.` : ''} Job ${meta.jobId}, asked by ${meta.requestedBy}.`, { isSubtle: true, size: 'Small' }));

  const fallback = [headline, result.summary, ...result.reports.flatMap((r) => r.checks.filter((c) => c.status !== 'ok').map((c) => `${r.db}: [${c.status}] ${c.title}`))].join('\n');
  return { card: adaptiveCard(body), text: fallbackText(fallback) };
}

function headlineText(result: DbHealthResult, counts: Record<CheckStatus, number>): string {
  if (result.reports.length === 1 && result.reports[0]!.error) return 'cannot check';
  const parts = [counts.critical && `${counts.critical} critical`, counts.warn && `${counts.warn} warn`, counts.unknown && `${counts.unknown} unknown`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'healthy';
}

function subtitle(result: DbHealthResult, meta: ResultMeta): string {
  const s = result.reports.length === 1 ? result.reports[0]!.snapshot : undefined;
  if (s) {
    return `${s.server.version} · ${s.server.endpoint} · as ${s.server.user}${s.server.isReplica ? ' · replica' : ''} · ${s.queries} queries in ${s.durationMs} ms · ${s.server.collectedAt.slice(0, 19).replace('T', ' ')} UTC`;
  }
  return `${result.reports.length} database${result.reports.length === 1 ? '' : 's'} · ${new Date(meta.now).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function overview(result: DbHealthResult): CardElement[] {
  return result.reports.map((r) => {
    const bad = r.checks.filter((c) => c.status !== 'ok');
    const line = r.error ? r.error.message : bad.length ? bad.slice(0, 2).map((c) => c.title).join('; ') : 'all checks ok';
    return severityLine(SEVERITY[r.status], `**${result.env}/${r.db}**: ${plain(clip(line, 200))}`);
  });
}

function findings(env: string, r: DbReport, named: boolean): CardElement[] {
  const out: CardElement[] = [];
  const bad = r.checks.filter((c) => c.status !== 'ok');
  if (bad.length === 0) return out;
  out.push(heading(named ? `Findings: ${env}/${r.db}` : 'Findings'));
  for (const c of bad) {
    out.push(severityLine(SEVERITY[c.status], plain(clip(c.title, 300))));
    const details = c.details.slice(0, 3).map((d) => `• ${plain(clip(d, 220))}`);
    if (c.details.length > 3) details.push(`• … ${c.details.length - 3} more in the attached report`);
    if (details.length) out.push(text(details.join('\n'), { size: 'Small', spacing: 'None', isSubtle: true }));
    if (c.id === 'long-running' && r.snapshot) out.push(...sessionButtons(env, r.db, r.snapshot.longRunning.slice(0, ROWS)));
    if (c.id === 'blocking' && r.snapshot) out.push(...sessionButtons(env, r.db, r.snapshot.blockers.slice(0, 3)));
  }
  if (r.error?.hint) out.push(text(`What to check: ${plain(r.error.hint)}`, { size: 'Small' }));
  return out;
}

/** One row per session: what it runs, and buttons that prefill `db cancel` / `db kill` (which go through approval). */
function sessionButtons(env: string, db: string, sessions: PgSession[]): CardElement[] {
  return sessions.map((s) => ({
    type: 'ColumnSet',
    spacing: 'Small',
    columns: [
      {
        type: 'Column',
        width: 'stretch',
        items: [
          text(s.hidden
            ? `pid ${s.pid} · ${plain(s.user ?? '?')} · ${plain(s.application || '-')} · state and query hidden from Medic's role`
            : `pid ${s.pid} · ${formatSeconds(s.durationSec)} · ${plain(s.user ?? '?')} · ${plain(s.application || '-')} · ${s.client ?? 'hidden'}${s.waitEventType ? ` · wait ${s.waitEventType}/${s.waitEvent ?? '?'}` : ''}`, { size: 'Small', weight: 'Bolder' }),
          { ...mono(clip(s.query, 160)), spacing: 'None' },
        ],
      },
      {
        type: 'Column',
        width: 'auto',
        verticalContentAlignment: 'Center',
        items: [
          {
            type: 'ActionSet',
            actions: [
              submit('Cancel', { medic: 'prefill', text: dbSignalCommand('cancel', env, db, s.pid) }),
              submit('Kill', { medic: 'prefill', text: dbSignalCommand('kill', env, db, s.pid) }, 'destructive'),
            ],
          },
        ],
      },
    ],
  }));
}

function tables(env: string, r: DbReport, named: boolean): CardElement[][] {
  const s = r.snapshot;
  if (!s) return [];
  const h = (t: string): CardElement => heading(named ? `${t} (${env}/${r.db})` : t);
  const out: CardElement[][] = [];
  const add = (t: string, headers: string[], rows: string[][]): void => {
    if (rows.length) out.push([h(t), table(headers, rows.slice(0, ROWS).map((row) => row.map((c) => plain(clip(c, 60)))))]);
  };
  add('Connections by client', ['application · user · client', 'db', 'n'], s.connections.bySource.map((c) => [`${c.application || '-'} · ${c.user ?? '?'} · ${c.client ?? 'hidden'}`, c.database ?? '?', String(c.count)]));
  add('Idle in transaction', ['pid · application', 'idle', 'last query'], s.idleInTransaction.map((x) => [`${x.pid} · ${x.application || '-'}`, formatSeconds(x.durationSec), x.query]));
  add('Biggest tables', ['table', 'total', 'indexes', 'toast'], s.tables.map((t) => [`${t.schema}.${t.table}`, formatBytes(t.totalBytes), formatBytes(t.indexBytes), formatBytes(t.toastBytes)]));
  add('Most dead tuples', ['table', 'dead', 'dead %', 'last vacuum'], s.vacuum.filter((v) => v.deadTuples > 0).map((v) => [`${v.schema}.${v.table}${v.autovacuumEnabled ? '' : ' (autovacuum off)'}`, String(v.deadTuples), formatPercent(v.deadRatio, 0), (v.lastVacuum ?? v.lastAutovacuum ?? 'never').slice(0, 16).replace('T', ' ')]));
  add('Bloat (estimate)', ['relation', 'size', '~bloat'], [...s.tableBloat, ...s.indexBloat].filter((b) => b.bloatBytes > 0).sort((a, b) => b.bloatBytes - a.bloatBytes).map((b) => [`${b.schema}.${b.index ?? b.table}`, formatBytes(b.realBytes), `${formatBytes(b.bloatBytes)} (${formatPercent(b.bloatRatio, 0)})`]));
  add('Unused and duplicate indexes', ['index', 'size', 'why'], [...s.duplicateIndexes.map((i) => [`${i.schema}.${i.index}`, formatBytes(i.bytes), `covered by ${i.coveredBy ?? '?'}`]), ...s.unusedIndexes.map((i) => [`${i.schema}.${i.index}`, formatBytes(i.bytes), `${i.scans} scans`])]);
  if (s.topQueries?.length) add('Top queries by total time', ['query', 'total', 'mean'], s.topQueries.map((q) => [q.query, `${(q.totalMs / 1000).toFixed(1)} s`, `${q.meanMs.toFixed(1)} ms`]));
  add('Schemas and databases', ['name', 'size'], [...s.schemas.map((x) => [`schema ${x.name}`, formatBytes(x.bytes)]), ...s.databases.map((x) => [`database ${x.name}`, formatBytes(x.bytes)])]);
  if (r.rds) {
    out.push([h(`RDS ${r.rds.instanceId}, last hour`), facts(r.rds.series.map((m) => [m.metric, m.latest === null ? 'no data' : `${metricValue(m.metric, m.latest)} (max ${metricValue(m.metric, m.max ?? 0)})`]))]);
  }
  const notices = s.notices.filter((n) => n.incomplete);
  if (notices.length) out.push([h('What Medic could not see'), text(notices.slice(0, 6).map((n) => `• ${plain(clip(n.message, 240))}`).join('\n'), { size: 'Small' })]);
  return out;
}

function okLine(r: DbReport, named: boolean): CardElement[] {
  const ok = r.checks.filter((c) => c.status === 'ok');
  if (ok.length === 0) return [];
  return [text(`${severityIcon('ok')} ${named ? `${r.db}: ` : ''}${ok.length} check${ok.length === 1 ? '' : 's'} ok: ${ok.map((c) => c.id).join(', ')}`, { size: 'Small', isSubtle: true })];
}

function metricValue(metric: string, v: number): string {
  if (metric === 'FreeStorageSpace') return formatBytes(v);
  if (metric === 'CPUUtilization') return `${v.toFixed(0)} %`;
  if (metric === 'ReplicaLag') return formatSeconds(v);
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function countStatuses(checks: DbCheck[]): Record<CheckStatus, number> {
  const c: Record<CheckStatus, number> = { ok: 0, warn: 0, critical: 0, unknown: 0 };
  for (const x of checks) c[x.status]++;
  return c;
}

function size(body: CardElement[]): number {
  return Buffer.byteLength(JSON.stringify(adaptiveCard(body)));
}

/**
 * `db cancel` / `db kill` result: what was signalled, whether it verifiably stopped, and whether the sessions it
 * blocked are free now (or still blocked, by whom). Nothing here is inferred from the signal's return value.
 */
function dbSignalCard(result: DbCancelResult | DbKillResult, meta: ResultMeta): CardMessage {
  const o = result.outcome;
  const verb = result.kind === 'db.cancel' ? 'cancel' : 'kill';
  const stillBlocked = o.waiters.filter((w) => w.blockedByAfter !== null && w.blockedByAfter.length > 0);
  const severity: Severity = o.stopped ? (stillBlocked.length ? 'warn' : 'ok') : o.signalled ? 'warn' : 'critical';
  const state = o.stopped ? (stillBlocked.length ? `done, but ${stillBlocked.length} session${stillBlocked.length === 1 ? ' is' : 's are'} still blocked` : 'done') : o.signalled ? 'signalled, still running' : 'not done';
  const headline = `${severityIcon(severity)} db ${verb} ${result.env}/${result.db} pid ${result.pid}: ${state}`;
  const body: CardElement[] = [...title(headline), severityLine(severity, plain(o.detail))];
  if (o.hint) body.push(text(`What to do instead: ${o.hint}`, { wrap: true }));
  if (o.before) {
    const rows: Array<[string, string]> = [
      ['Session', `pid ${o.before.pid} · ${o.before.user ?? '?'} · ${o.before.application || '-'} · ${o.before.client ?? 'hidden'}`],
      ['Was', o.before.hidden ? "state hidden from Medic's role" : `${o.before.state ?? '?'} for ${formatSeconds(o.before.durationSec)}`],
    ];
    if (o.after !== undefined) rows.push(['Now', o.after === null ? 'ended' : `${o.after.state ?? '?'}`]);
    body.push(facts(rows), mono(clip(o.before.query, 300)));
  }
  const waiterLines = o.waiters.map((w) => `pid ${w.pid} (${plain(w.user ?? '?')}, ${plain(w.application || '-')}): ${waiterState(w.blockedByAfter, o.pid)}`);
  if (waiterLines.length) body.push(heading(`Sessions pid ${o.pid} blocked, looked at again`), text(waiterLines.join('\n'), { size: 'Small' }));
  else if (o.signalled) body.push(text(`pid ${o.pid} blocked no other session when Medic looked before the signal.`, { size: 'Small', isSubtle: true }));
  body.push(text(`Job ${meta.jobId}, asked by ${meta.requestedBy}.`, { isSubtle: true, size: 'Small' }));
  const fallback = [headline, o.detail, ...(o.hint ? [o.hint] : []), ...o.waiters.map((w) => `pid ${w.pid}: ${waiterState(w.blockedByAfter, o.pid)}`)].join('\n');
  return { card: adaptiveCard(body), text: fallbackText(fallback) };
}

function waiterState(after: number[] | null, signalled: number): string {
  if (after === null) return 'has ended';
  if (after.length === 0) return 'no longer blocked';
  return `still blocked by pid ${after.join(', ')}${after.includes(signalled) ? ` (pid ${signalled} still blocks it)` : ''}`;
}

export function dbCancelCard(result: DbCancelResult, meta: ResultMeta): CardMessage {
  return dbSignalCard(result, meta);
}

export function dbKillCard(result: DbKillResult, meta: ResultMeta): CardMessage {
  return dbSignalCard(result, meta);
}
