import { formatBytes, formatPercent, formatSeconds, type CheckStatus, type DbHealthResult, type DbReport } from '../../core/kinds/db.js';
import type { PgSnapshot } from '../../core/pg-port.js';

/**
 * The full `db health` report as plain text, attached to the card: every check with every detail line and every
 * table the card only samples. Plain text because it is read in a Webex thread preview and in a terminal alike.
 */

const MARK: Record<CheckStatus, string> = { critical: '[CRITICAL]', warn: '[WARN]    ', unknown: '[UNKNOWN] ', ok: '[OK]      ' };

export function formatDbHealthReport(result: DbHealthResult): string {
  const out: string[] = [];
  out.push(`Medic db health: ${result.env}${result.db ? `/${result.db}` : ''} — ${result.status.toUpperCase()}`);
  out.push(result.summary, '');
  for (const r of result.reports) out.push(...reportLines(result.env, r), '');
  const t = result.thresholds;
  out.push('Thresholds (warn / critical):',
    `  long-running query ${t.longQueryWarnSec} / ${t.longQueryCriticalSec} s; idle in transaction ${t.idleInTransactionWarnSec} / ${t.idleInTransactionCriticalSec} s; blocked ${t.blockedWarnSec} / ${t.blockedCriticalSec} s`,
    `  connections ${formatPercent(t.connectionsWarnRatio, 0)} / ${formatPercent(t.connectionsCriticalRatio, 0)} of usable (or ≥ ${t.connectionsWarn}); cache hit < ${formatPercent(t.cacheHitWarn, 0)} / < ${formatPercent(t.cacheHitCritical, 0)}`,
    `  dead tuples ${formatPercent(t.deadRatioWarn, 0)} / ${formatPercent(t.deadRatioCritical, 0)} (≥ ${t.deadTuplesMin} rows); bloat ${formatPercent(t.bloatWarnRatio, 0)} / ${formatPercent(t.bloatCriticalRatio, 0)} (≥ ${formatBytes(t.bloatMinBytes)})`,
    `  wraparound < ${t.wraparoundWarnLeft} / < ${t.wraparoundCriticalLeft} transactions left; sequences ${formatPercent(t.sequenceWarnRatio, 0)} / ${formatPercent(t.sequenceCriticalRatio, 0)}; replica lag ${t.replicaLagWarnSec} / ${t.replicaLagCriticalSec} s`);
  return out.join('\n');
}

function reportLines(env: string, r: DbReport): string[] {
  const out = [`== ${env}/${r.db}${r.endpoint ? ` (${r.endpoint})` : ''}: ${r.status.toUpperCase()} ==`];
  if (r.error) out.push(`ERROR: ${r.error.message}`, ...(r.error.hint ? [`What to check: ${r.error.hint}`] : []));
  const s = r.snapshot;
  if (s) {
    out.push(`${s.server.version}, database ${s.server.database} as ${s.server.user}${s.server.isReplica ? ' (replica)' : ''}; pg_monitor ${s.privileges.pgMonitor ? 'yes' : 'NO'}; collected ${s.server.collectedAt} in ${s.durationMs} ms, ${s.queries} queries (${s.statements} statements)`);
  }
  out.push('', 'Checks:');
  for (const c of r.checks) {
    out.push(`${MARK[c.status]} ${c.title}`);
    for (const d of c.details) out.push(`             ${d}`);
  }
  if (s) out.push(...snapshotTables(s));
  if (r.rds) {
    out.push('', `CloudWatch AWS/RDS ${r.rds.instanceId} (${r.rds.region}) ${r.rds.from} → ${r.rds.to}:`);
    for (const m of r.rds.series) out.push(`  ${m.metric.padEnd(20)} latest ${m.latest ?? '-'}  max ${m.max ?? '-'}  avg ${m.avg === null ? '-' : m.avg.toFixed(2)}  (${m.points.length} points)`);
  }
  if (s?.notices.length) out.push('', 'Notices:', ...s.notices.map((n) => `  - ${n.message}`));
  return out;
}

function snapshotTables(s: PgSnapshot): string[] {
  const out: string[] = [];
  const section = (title: string, header: string[], rows: string[][]): void => {
    out.push('', `${title}:`);
    if (rows.length === 0) {
      out.push('  (none)');
      return;
    }
    const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
    const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`;
    out.push(line(header), ...rows.map(line));
  };
  section('Long-running queries', ['pid', 'duration', 'user', 'application', 'client', 'wait', 'query'], s.longRunning.map((x) => [String(x.pid), formatSeconds(x.durationSec), x.user ?? '?', x.application ?? '', x.client ?? 'hidden', x.waitEventType ? `${x.waitEventType}/${x.waitEvent}` : '', x.query]));
  section('Idle in transaction', ['pid', 'idle', 'transaction', 'user', 'application', 'last query'], s.idleInTransaction.map((x) => [String(x.pid), formatSeconds(x.durationSec), x.xactSec === null ? '' : formatSeconds(x.xactSec), x.user ?? '?', x.application ?? '', x.query]));
  section('Blocked sessions', ['pid', 'blocked by', 'waiting', 'application', 'query'], s.blocked.map((x) => [String(x.pid), x.blockedBy.join(','), x.waitSec === null ? 'hidden' : formatSeconds(x.waitSec), x.application ?? '', x.hidden ? '(hidden)' : x.query]));
  section('Connections by client', ['count', 'database', 'user', 'application', 'client'], s.connections.bySource.map((x) => [String(x.count), x.database ?? '', x.user ?? '', x.application ?? '', x.client ?? 'hidden']));
  section('Biggest tables', ['table', 'total', 'table', 'indexes', 'toast', 'rows (est.)'], s.tables.map((x) => [`${x.schema}.${x.table}`, formatBytes(x.totalBytes), formatBytes(x.tableBytes), formatBytes(x.indexBytes), formatBytes(x.toastBytes), String(Math.round(x.estimatedRows))]));
  section('Schemas by size', ['schema', 'size'], s.schemas.map((x) => [x.name, formatBytes(x.bytes)]));
  section('Databases by size', ['database', 'size'], s.databases.map((x) => [x.name, formatBytes(x.bytes)]));
  section('Vacuum (most dead tuples)', ['table', 'dead', 'live', 'dead %', 'last vacuum', 'last autovacuum', 'last analyze', 'last autoanalyze', 'autovacuum'], s.vacuum.map((x) => [`${x.schema}.${x.table}`, String(x.deadTuples), String(x.liveTuples), formatPercent(x.deadRatio, 0), x.lastVacuum ?? '-', x.lastAutovacuum ?? '-', x.lastAnalyze ?? '-', x.lastAutoanalyze ?? '-', x.autovacuumEnabled ? 'on' : 'OFF']));
  section('Table bloat (estimate)', ['table', 'size', 'bloat', 'bloat %'], s.tableBloat.map((x) => [`${x.schema}.${x.table}`, formatBytes(x.realBytes), formatBytes(x.bloatBytes), formatPercent(x.bloatRatio, 0)]));
  section('Index bloat (estimate)', ['index', 'table', 'size', 'bloat', 'bloat %'], s.indexBloat.map((x) => [`${x.schema}.${x.index ?? ''}`, x.table, formatBytes(x.realBytes), formatBytes(x.bloatBytes), formatPercent(x.bloatRatio, 0)]));
  section('Transaction ID age', ['relation', 'age', 'left'], [...s.wraparound.databases.map((x) => [`database ${x.name}`, String(x.age), String(x.left)]), ...s.wraparound.tables.map((x) => [x.name, String(x.age), String(x.left)])]);
  out.push('', `Cache hit rate: tables ${s.cacheHit.table === null ? 'n/a' : formatPercent(s.cacheHit.table, 2)}, indexes ${s.cacheHit.index === null ? 'n/a' : formatPercent(s.cacheHit.index, 2)}`);
  section('Unused indexes', ['index', 'table', 'size', 'scans', 'definition'], s.unusedIndexes.map((x) => [`${x.schema}.${x.index}`, x.table, formatBytes(x.bytes), String(x.scans), x.definition]));
  section('Duplicate indexes', ['index', 'covered by', 'size', 'definition'], s.duplicateIndexes.map((x) => [`${x.schema}.${x.index}`, x.coveredBy ?? '', formatBytes(x.bytes), x.definition]));
  section('Invalid indexes', ['index', 'table', 'definition'], s.invalidIndexes.map((x) => [`${x.schema}.${x.index}`, x.table, x.definition]));
  section('Sequences (closest to overflow)', ['sequence', 'column', 'last value', 'max', 'used'], s.sequences.map((x) => [`${x.schema}.${x.sequence}`, x.column ?? '', String(x.lastValue), String(x.maxValue), formatPercent(x.ratio, 2)]));
  if (s.topQueries) section('Top queries by total time', ['total ms', 'calls', 'mean ms', 'share', 'query'], s.topQueries.map((x) => [x.totalMs.toFixed(0), String(x.calls), x.meanMs.toFixed(2), formatPercent(x.share, 0), x.query]));
  section('Replicas', ['application', 'client', 'state', 'replay lag', 'behind'], s.replication.replicas.map((x) => [x.application ?? '', x.client ?? '', x.state ?? '', x.replayLagSec === null ? '' : formatSeconds(x.replayLagSec), x.bytesBehind === null ? '' : formatBytes(x.bytesBehind)]));
  section('Replication slots', ['slot', 'type', 'active', 'retained WAL'], s.replication.slots.map((x) => [x.name, x.type, x.active ? 'yes' : 'NO', x.retainedBytes === null ? '' : formatBytes(x.retainedBytes)]));
  return out;
}
