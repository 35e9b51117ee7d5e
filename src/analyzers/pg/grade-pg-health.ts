import {
  CHECK_STATUS_RANK,
  formatBytes,
  formatPercent,
  formatSeconds,
  type CheckStatus,
  type DbCheck,
  type DbCheckId,
} from '../../core/kinds/db.js';
import type { PgHealthThresholds, PgSection, PgSession, PgSnapshot, RdsMetrics, RdsMetricName } from '../../core/pg-port.js';

/**
 * Grades a PostgreSQL snapshot the way PgHero's overview does, one check per line, ok / warn / critical against
 * the configured thresholds. A check whose data is incomplete (missing privilege, failed query, missing
 * extension) and found nothing is `unknown`, never `ok`: "I could not see" must not read as "all is well".
 */

const MAX_DETAILS = 20;

export function gradePgSnapshot(snap: PgSnapshot, t: PgHealthThresholds): DbCheck[] {
  const gaps = (section: PgSection): string[] => snap.notices.filter((n) => n.section === section && n.incomplete).map((n) => n.message);
  const checks: DbCheck[] = [];
  /** Adds a check; an "ok" over incomplete data becomes "unknown" with the reasons as details. */
  const add = (id: DbCheckId, section: PgSection | PgSection[], status: CheckStatus, title: string, details: string[], pids?: number[]): void => {
    const missing = (Array.isArray(section) ? section : [section]).flatMap(gaps);
    if (status === 'ok' && missing.length > 0) {
      checks.push({ id, status: 'unknown', title: `${title} (incomplete: see below)`, details: missing });
      return;
    }
    const c: DbCheck = { id, status, title, details: [...details.slice(0, MAX_DETAILS), ...missing] };
    if (pids && pids.length) c.pids = pids;
    checks.push(c);
  };

  // Long-running queries (PgHero: ≥ long_running_query_sec, 60 s).
  const long = snap.longRunning.filter((s) => s.durationSec >= t.longQueryWarnSec && s.pid !== snap.server.ownPid);
  if (long.length === 0) add('long-running', 'longRunning', 'ok', `No query running longer than ${formatSeconds(t.longQueryWarnSec)}`, []);
  else {
    const worst = long[0]!;
    add('long-running', 'longRunning', long.some((s) => s.durationSec >= t.longQueryCriticalSec) ? 'critical' : 'warn',
      `${long.length} quer${long.length === 1 ? 'y' : 'ies'} running longer than ${formatSeconds(t.longQueryWarnSec)} (longest ${formatSeconds(worst.durationSec)}, pid ${worst.pid})`,
      long.map(sessionLine), long.map((s) => s.pid));
  }

  // Idle in transaction: holds locks and the xmin horizon (vacuum cannot clean behind it).
  const idle = snap.idleInTransaction.filter((s) => s.durationSec >= t.idleInTransactionWarnSec);
  if (idle.length === 0) add('idle-in-transaction', 'idleInTransaction', 'ok', `No session idle in transaction for ${formatSeconds(t.idleInTransactionWarnSec)} or more`, []);
  else {
    const status: CheckStatus = idle.some((s) => s.durationSec >= t.idleInTransactionCriticalSec) ? 'critical' : 'warn';
    add('idle-in-transaction', 'idleInTransaction', idle.length >= t.idleInTransactionCountWarn ? 'critical' : status,
      `${idle.length} session${idle.length === 1 ? '' : 's'} idle in transaction (longest ${formatSeconds(idle[0]!.durationSec)}, pid ${idle[0]!.pid})`,
      idle.map(sessionLine), idle.map((s) => s.pid));
  }

  // Blocking chains: who waits for whom; the roots are what to act on. Who waits for whom is visible to every
  // role; a wait Medic cannot time is reported whatever its length rather than dropped.
  const blocked = snap.blocked.filter((b) => b.waitSec === null || b.waitSec >= t.blockedWarnSec);
  if (blocked.length === 0) add('blocking', 'blocking', 'ok', 'No session blocked by another', []);
  else {
    const roots = snap.blockers.map((b) => b.pid);
    const waits = blocked.map((b) => b.waitSec).filter((w): w is number => w !== null);
    // What was and was not visible comes first (the card shows the first details), then the sessions.
    const visibility = snap.notices.filter((n) => n.section === 'blocking').map((n) => n.message);
    const lines = [
      ...visibility,
      ...[
        ...blocked.map((b) => `pid ${b.pid} (${b.application ?? '?'}, waiting ${b.waitSec === null ? 'for a time hidden from Medic' : formatSeconds(b.waitSec)}) is blocked by pid ${b.blockedBy.join(', ')}: ${b.hidden ? `query hidden (${b.user ?? '?'}'s session)` : b.query}`),
        ...snap.blockers.map((b) => b.hidden
          ? `root blocker pid ${b.pid} (${b.user ?? '?'}, ${b.application ?? '?'}): state and query hidden from Medic`
          : `root blocker pid ${b.pid} (${b.user ?? '?'}, ${b.application ?? '?'}, ${b.state ?? '?'}): ${b.query}`),
      ].slice(0, MAX_DETAILS - visibility.length),
    ];
    const longest = waits.length ? `longest wait ${formatSeconds(Math.max(...waits))}` : 'wait time hidden';
    // The section's notices are already in `lines`: no section for add() to append them again.
    add('blocking', [], waits.some((w) => w >= t.blockedCriticalSec) ? 'critical' : 'warn',
      `${blocked.length} session${blocked.length === 1 ? '' : 's'} blocked (${longest}); root blocker${roots.length === 1 ? '' : 's'}: pid ${roots.join(', ') || '?'}`,
      lines, roots);
  }

  // Connections against max_connections minus the superuser reserve (PgHero: total < 500).
  const c = snap.connections;
  const usable = Math.max(1, c.max - c.reservedSuperuser);
  const ratio = c.total / usable;
  const connStatus: CheckStatus = ratio >= t.connectionsCriticalRatio ? 'critical' : ratio >= t.connectionsWarnRatio || c.total >= t.connectionsWarn ? 'warn' : 'ok';
  add('connections', 'connections', connStatus, `${c.total} client connections of ${usable} usable (${formatPercent(ratio, 0)} of max_connections ${c.max} minus ${c.reservedSuperuser} reserved)`,
    c.bySource.slice(0, 10).map((s) => `${s.count} × ${s.database ?? '?'} · ${s.user ?? '?'} · ${s.application || '(no application_name)'} · ${s.client ?? 'hidden'}`));

  // Cache hit rate (PgHero: ≥ 99 %).
  const rates = [snap.cacheHit.table, snap.cacheHit.index].filter((r): r is number => r !== null);
  if (rates.length === 0) add('cache-hit', 'cacheHit', 'ok', 'Cache hit rate: no reads recorded yet', []);
  else {
    const low = Math.min(...rates);
    add('cache-hit', 'cacheHit', low < t.cacheHitCritical ? 'critical' : low < t.cacheHitWarn ? 'warn' : 'ok',
      `Cache hit rate: tables ${rateText(snap.cacheHit.table)}, indexes ${rateText(snap.cacheHit.index)} (want ≥ ${formatPercent(t.cacheHitWarn, 0)})`, []);
  }

  // Dead tuples and vacuum.
  const dead = snap.vacuum.filter((v) => v.deadTuples >= t.deadTuplesMin && v.deadRatio >= t.deadRatioWarn);
  if (dead.length === 0) add('dead-tuples', 'vacuum', 'ok', `No table with ≥ ${formatPercent(t.deadRatioWarn, 0)} dead tuples`, []);
  else add('dead-tuples', 'vacuum', dead.some((v) => v.deadRatio >= t.deadRatioCritical) ? 'critical' : 'warn',
    `${dead.length} table${dead.length === 1 ? '' : 's'} with many dead tuples (worst ${dead[0]!.schema}.${dead[0]!.table}: ${formatPercent(dead[0]!.deadRatio, 0)} dead)`,
    dead.map((v) => `${v.schema}.${v.table}: ${v.deadTuples} dead / ${v.liveTuples} live (${formatPercent(v.deadRatio, 0)}), last vacuum ${lastOf(v.lastVacuum, v.lastAutovacuum)}, last analyze ${lastOf(v.lastAnalyze, v.lastAutoanalyze)}${v.autovacuumEnabled ? '' : ', autovacuum OFF'}`));

  // Bloat (estimates).
  for (const [id, section, rows, what] of [
    ['table-bloat', 'tableBloat', snap.tableBloat, 'table'],
    ['index-bloat', 'indexBloat', snap.indexBloat, 'index'],
  ] as const) {
    const bad = rows.filter((b) => b.bloatBytes >= t.bloatMinBytes && b.bloatRatio >= t.bloatWarnRatio);
    if (bad.length === 0) add(id, section, 'ok', `No ${what} bloat over ${formatPercent(t.bloatWarnRatio, 0)} (estimate)`, []);
    else add(id, section, bad.some((b) => b.bloatRatio >= t.bloatCriticalRatio) ? 'critical' : 'warn',
      `${bad.length} ${what}${bad.length === 1 ? '' : what === 'index' ? 'es' : 's'} bloated, estimated ${formatBytes(bad.reduce((a, b) => a + b.bloatBytes, 0))} reclaimable (estimate)`,
      bad.map((b) => `${b.schema}.${b.index ?? b.table}: ~${formatPercent(b.bloatRatio, 0)} of ${formatBytes(b.realBytes)} (~${formatBytes(b.bloatBytes)}) estimated`));
  }

  // Transaction ID wraparound (PgHero: < 1.5 billion left).
  const wrap = [...snap.wraparound.databases.map((d) => ({ ...d, name: `database ${d.name}` })), ...snap.wraparound.tables];
  if (wrap.length === 0) add('wraparound', 'wraparound', 'ok', 'Transaction ID age: nothing to read', []);
  else {
    const oldest = wrap.reduce((a, b) => (b.left < a.left ? b : a));
    const status: CheckStatus = oldest.left < t.wraparoundCriticalLeft ? 'critical' : oldest.left < t.wraparoundWarnLeft ? 'warn' : 'ok';
    add('wraparound', 'wraparound', status, `Transaction ID wraparound: ${formatCount(oldest.left)} transactions left at worst (${oldest.name}, age ${formatCount(oldest.age)})`,
      status === 'ok' ? [] : wrap.filter((w) => w.left < t.wraparoundWarnLeft).map((w) => `${w.name}: age ${formatCount(w.age)}, ${formatCount(w.left)} left (autovacuum_freeze_max_age ${formatCount(snap.wraparound.freezeMaxAge)})`));
  }

  // Indexes.
  const since = snap.server.statsResetAt ? `since the statistics reset ${snap.server.statsResetAt}` : 'since statistics began';
  const unusedTotal = snap.totals.unusedIndexes ?? snap.unusedIndexes.length;
  if (unusedTotal === 0) add('unused-indexes', 'indexes', 'ok', 'No unused indexes', []);
  else add('unused-indexes', 'indexes', 'warn', `${unusedTotal} unused index${unusedTotal === 1 ? '' : 'es'} (${formatBytes(snap.unusedIndexes.reduce((a, i) => a + i.bytes, 0))}${unusedTotal > snap.unusedIndexes.length ? ' in the largest ' + snap.unusedIndexes.length : ''}) with ≤ ${t.unusedIndexMaxScans} scans ${since}${snap.server.isReplica ? '; counts are this replica’s only' : ''}`,
    snap.unusedIndexes.map((i) => `${i.schema}.${i.index} on ${i.table}: ${formatBytes(i.bytes)}, ${i.scans} scans`));
  const dupTotal = snap.totals.duplicateIndexes ?? snap.duplicateIndexes.length;
  if (dupTotal === 0) add('duplicate-indexes', 'indexes', 'ok', 'No duplicate indexes', []);
  else add('duplicate-indexes', 'indexes', 'warn', `${dupTotal} duplicate index${dupTotal === 1 ? '' : 'es'} (covered by another index on the same table)`,
    snap.duplicateIndexes.map((i) => `${i.schema}.${i.index} on ${i.table} (${formatBytes(i.bytes)}) is covered by ${i.coveredBy ?? '?'}`));
  if (snap.invalidIndexes.length === 0) add('invalid-indexes', 'indexes', 'ok', 'No invalid indexes', []);
  else add('invalid-indexes', 'indexes', 'warn', `${snap.invalidIndexes.length} invalid index${snap.invalidIndexes.length === 1 ? '' : 'es'} (a failed CREATE INDEX CONCURRENTLY: still written, never read)`,
    snap.invalidIndexes.map((i) => `${i.schema}.${i.index} on ${i.table} (${formatBytes(i.bytes)}): drop and recreate`));
  if (snap.invalidConstraints.length === 0) add('invalid-constraints', 'indexes', 'ok', 'No NOT VALID constraints', []);
  else add('invalid-constraints', 'indexes', 'warn', `${snap.invalidConstraints.length} constraint${snap.invalidConstraints.length === 1 ? '' : 's'} NOT VALID (existing rows unchecked)`,
    snap.invalidConstraints.map((x) => `${x.schema}.${x.table}: ${x.constraint} (ALTER TABLE … VALIDATE CONSTRAINT)`));

  // Sequences near overflow (PgHero: > 90 % of the maximum).
  const seq = snap.sequences.filter((s) => s.ratio >= t.sequenceWarnRatio);
  if (seq.length === 0) add('sequences', 'sequences', 'ok', `No sequence past ${formatPercent(t.sequenceWarnRatio, 0)} of its maximum`, []);
  else add('sequences', 'sequences', seq.some((s) => s.ratio >= t.sequenceCriticalRatio) ? 'critical' : 'warn',
    `${seq.length} sequence${seq.length === 1 ? '' : 's'} near overflow (worst ${seq[0]!.schema}.${seq[0]!.sequence} at ${formatPercent(seq[0]!.ratio)})`,
    seq.map((s) => `${s.schema}.${s.sequence}${s.column ? ` → ${s.column}` : ''}: ${formatCount(s.lastValue)} of ${formatCount(s.maxValue)} (${formatPercent(s.ratio)})`));

  // Slow queries (pg_stat_statements; PgHero: mean ≥ 20 ms and ≥ 100 calls).
  if (snap.topQueries === null) add('slow-queries', 'topQueries', 'unknown', 'Top queries: pg_stat_statements is not available', []);
  else {
    const slow = snap.topQueries.filter((q) => q.meanMs >= t.slowQueryMeanMs && q.calls >= t.slowQueryMinCalls);
    add('slow-queries', 'topQueries', slow.length ? 'warn' : 'ok',
      slow.length ? `${slow.length} slow quer${slow.length === 1 ? 'y' : 'ies'} (mean ≥ ${t.slowQueryMeanMs} ms over ≥ ${t.slowQueryMinCalls} calls)` : `No slow queries among the top ${snap.topQueries.length} by total time`,
      slow.map((q) => `${q.meanMs.toFixed(1)} ms mean × ${formatCount(q.calls)} calls (${formatPercent(q.share, 0)} of time): ${q.query}`));
  }

  // Replication (PgHero: replica lag < 5 s; inactive slots on the primary).
  const r = snap.replication;
  if (snap.server.isReplica) {
    if (r.lagSec === null) add('replication', 'replication', 'unknown', 'Replica lag could not be read', []);
    else add('replication', 'replication', r.lagSec >= t.replicaLagCriticalSec ? 'critical' : r.lagSec >= t.replicaLagWarnSec ? 'warn' : 'ok', `Replica lag ${formatSeconds(r.lagSec)}`, []);
  } else {
    const lagging = r.replicas.filter((x) => (x.replayLagSec ?? 0) >= t.replicaLagWarnSec);
    add('replication', 'replication', lagging.some((x) => (x.replayLagSec ?? 0) >= t.replicaLagCriticalSec) ? 'critical' : lagging.length ? 'warn' : 'ok',
      r.replicas.length === 0 ? 'No streaming replicas attached' : `${r.replicas.length} replica${r.replicas.length === 1 ? '' : 's'}, ${lagging.length} lagging ≥ ${formatSeconds(t.replicaLagWarnSec)}`,
      r.replicas.map((x) => `${x.application ?? '?'} ${x.client ?? ''} ${x.state ?? '?'}: replay lag ${x.replayLagSec === null ? '?' : formatSeconds(x.replayLagSec)}, ${x.bytesBehind === null ? '?' : formatBytes(x.bytesBehind)} behind`));
  }
  const inactive = r.slots.filter((s) => !s.active);
  add('replication-slots', 'replication', inactive.length ? 'warn' : 'ok',
    inactive.length ? `${inactive.length} inactive replication slot${inactive.length === 1 ? '' : 's'} (WAL is kept for them until dropped)` : `No inactive replication slots (${r.slots.length} slot${r.slots.length === 1 ? '' : 's'})`,
    inactive.map((s) => `${s.name} (${s.type}): retains ${s.retainedBytes === null ? '?' : formatBytes(s.retainedBytes)} of WAL`));

  return sortChecks(checks);
}

/** The six CloudWatch metrics of the last hour, graded where a threshold makes sense (CPU, storage, lag). */
export function gradeRdsMetrics(m: RdsMetrics, t: PgHealthThresholds): DbCheck[] {
  const get = (name: RdsMetricName) => m.series.find((s) => s.metric === name);
  const checks: DbCheck[] = [];
  const cpu = get('CPUUtilization');
  if (!cpu || cpu.latest === null) checks.push({ id: 'rds-cpu', status: 'unknown', title: `RDS ${m.instanceId}: no CPU datapoints in the last hour (is the instance id right?)`, details: [] });
  else {
    // The last five minutes decide the grade; one spike an hour ago is not "now".
    const recent = cpu.points.slice(-5).map((p) => p.value);
    const now = recent.reduce((a, b) => a + b, 0) / recent.length;
    checks.push({ id: 'rds-cpu', status: now >= t.rdsCpuCritical ? 'critical' : now >= t.rdsCpuWarn ? 'warn' : 'ok', title: `RDS CPU ${now.toFixed(0)} % (last 5 min; hour max ${(cpu.max ?? 0).toFixed(0)} %, avg ${(cpu.avg ?? 0).toFixed(0)} %)`, details: [] });
  }
  const free = get('FreeStorageSpace');
  if (free && free.latest !== null) {
    checks.push({ id: 'rds-storage', status: free.latest < t.rdsFreeStorageCriticalBytes ? 'critical' : free.latest < t.rdsFreeStorageWarnBytes ? 'warn' : 'ok', title: `RDS free storage ${formatBytes(free.latest)}`, details: [] });
  }
  const conns = get('DatabaseConnections');
  const riops = get('ReadIOPS');
  const wiops = get('WriteIOPS');
  if (conns?.latest != null || riops?.latest != null) {
    checks.push({ id: 'rds-connections', status: 'ok', title: `RDS connections ${fmt(conns?.latest)} (max ${fmt(conns?.max)}), IOPS read ${fmt(riops?.latest)} / write ${fmt(wiops?.latest)} (hour max ${fmt(riops?.max)} / ${fmt(wiops?.max)})`, details: [] });
  }
  const lag = get('ReplicaLag');
  if (lag && lag.latest !== null) {
    checks.push({ id: 'rds-replica-lag', status: lag.latest >= t.replicaLagCriticalSec ? 'critical' : lag.latest >= t.replicaLagWarnSec ? 'warn' : 'ok', title: `RDS replica lag ${formatSeconds(lag.latest)} (hour max ${formatSeconds(lag.max ?? 0)})`, details: [] });
  }
  return sortChecks(checks);
}

/** Worst first; equal statuses keep their order (the order of PgHero's overview). */
export function sortChecks(checks: DbCheck[]): DbCheck[] {
  return checks.map((c, i) => ({ c, i })).sort((a, b) => CHECK_STATUS_RANK[b.c.status] - CHECK_STATUS_RANK[a.c.status] || a.i - b.i).map((x) => x.c);
}

function sessionLine(s: PgSession): string {
  const wait = s.waitEventType ? ` · wait ${s.waitEventType}/${s.waitEvent ?? '?'}` : '';
  return `pid ${s.pid} · ${formatSeconds(s.durationSec)} · ${s.user ?? '?'} · ${s.application || '(no application_name)'} · ${s.client ?? 'hidden'}${wait} · ${s.query}`;
}

function rateText(r: number | null): string {
  return r === null ? 'n/a' : formatPercent(r, 2);
}

function lastOf(manual: string | null, auto: string | null): string {
  const pick = [manual, auto].filter((x): x is string => x !== null).sort().pop();
  return pick ? pick.replace('T', ' ').slice(0, 16) : 'never';
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '?' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return String(Math.round(n));
}
