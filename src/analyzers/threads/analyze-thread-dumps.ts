import { findContention, findDeadlockCycles, lockOwners } from './lock-graph.js';
import { parseThreadDumps } from './parse-thread-dump.js';
import { parseTopThreads, type TopThreadRow } from './parse-top.js';
import { appFrame, isAwaitingResult, isIdleStack, normalisePoolName } from './stack-patterns.js';
import type {
  Contention,
  Deadlock,
  Finding,
  FindingSeverity,
  HotThread,
  ParsedDump,
  PoolSummary,
  StackGroup,
  StuckThread,
  CpuWindow,
  TextInput,
  ThreadInfo,
  ThreadReport,
} from './types.js';

export interface AnalyzeThreadOptions {
  /** `top -H -b -n 1 -p <pid>` outputs taken alongside the dumps (thread ids match HotSpot's `nid`). */
  top?: TextInput[];
  /** Frames kept per group / holder / hot thread (default 8). */
  frames?: number;
  /** Longest list kept for groups, contention and hot threads (default 20). */
  limit?: number;
}

/** No input held anything that looks like a thread dump: a user error, with what a dump looks like. */
export class NoThreadDumpError extends Error {
  override readonly name = 'NoThreadDumpError';
  constructor(readonly inputs: string[]) {
    super(
      `no thread dump found in ${inputs.join(', ')}: expected lines like '"main" #1 prio=5 ... tid=0x... nid=0x...' ` +
        `(jstack -l <pid>, jcmd <pid> Thread.print -l, or jcmd <pid> Thread.dump_to_file)`,
    );
  }
}

const GROUP_FRAMES = 10;
const SEVERITY_ORDER: Record<FindingSeverity, number> = { critical: 0, warn: 1, info: 2 };

/**
 * Analyzes one or more thread dumps of one JVM (in the order they were taken). Counts, pools, contention and groups
 * describe the last dump; deadlocks are collected from every dump; hot and stuck threads compare the dumps.
 * Never throws on damaged input (it reports what it could read plus warnings), except {@link NoThreadDumpError}
 * when nothing at all looks like a dump.
 */
export function analyzeThreadDumps(inputs: TextInput[], opts: AnalyzeThreadOptions = {}): ThreadReport {
  const frameCount = opts.frames ?? 8;
  const limit = opts.limit ?? 20;
  const warnings: string[] = [];
  const dumps: ParsedDump[] = [];
  const empty: string[] = [];
  for (const input of inputs) {
    const r = parseThreadDumps(input);
    dumps.push(...r.dumps);
    warnings.push(...r.warnings);
    if (r.dumps.length === 0) empty.push(input.name);
  }
  if (dumps.length === 0) throw new NoThreadDumpError(inputs.map((i) => i.name));
  for (const name of empty) warnings.push(`${name}: no thread dump found in this input; it was ignored`);

  const last = dumps[dumps.length - 1];
  const owners = lockOwners(last);
  const states: Record<string, number> = {};
  for (const t of last.threads) states[t.state] = (states[t.state] ?? 0) + 1;

  const deadlocks = collectDeadlocks(dumps);
  const contention = findContention(last, owners, frameCount).slice(0, limit);
  const groups = groupStacks(last.threads, frameCount).slice(0, limit);
  const pools = summarisePools(last.threads);
  const hotFound = findHotThreads(dumps, opts.top ?? [], frameCount, warnings);
  const hotThreads = hotFound.hot.slice(0, limit);
  const stuck = findStuckThreads(dumps, frameCount);

  const report: ThreadReport = {
    dumps: dumps.map((d) => ({ source: d.source, format: d.format, timestamp: d.timestamp, jvm: d.jvm, threads: d.threads.length })),
    threads: last.threads.length,
    states,
    daemon: last.threads.filter((t) => t.daemon).length,
    virtual: last.threads.filter((t) => t.virtual).length,
    pools,
    deadlocks,
    contention,
    groups,
    hotThreads,
    cpu: hotFound.cpu,
    stuck,
    findings: [],
    warnings,
  };
  report.findings = deriveFindings(report, last, dumps.length);
  return report;
}

/** Our own cycles, checked against the JVM's section; JVM-only cycles are kept (e.g. -l missing on our side). */
function collectDeadlocks(dumps: ParsedDump[]): Deadlock[] {
  const byKey = new Map<string, Deadlock>();
  const keyOf = (locks: string[]): string => [...locks].sort().join(',');
  for (const d of dumps) {
    const ours = findDeadlockCycles(d);
    for (const c of ours) {
      const k = keyOf(c.locks.map((l) => l.lock));
      if (!byKey.has(k)) byKey.set(k, c);
    }
    const oursKeys = new Set(ours.map((c) => keyOf(c.locks.map((l) => l.lock))));
    for (const j of d.jvmDeadlocks) {
      const k = keyOf(j.locks);
      if (oursKeys.has(k)) {
        byKey.get(k)!.source = 'both';
        continue;
      }
      if (byKey.has(k)) continue;
      byKey.set(k, {
        threads: j.threads,
        locks: j.locks.map((lock, i) => ({
          lock,
          type: '',
          kind: 'monitor',
          waiter: j.threads[i] ?? '',
          heldBy: j.threads[(i + 1) % j.threads.length] ?? '',
        })),
        source: 'jvm',
      });
    }
  }
  return [...byKey.values()];
}

function groupStacks(threads: ThreadInfo[], frameCount: number): StackGroup[] {
  const groups = new Map<string, StackGroup>();
  for (const t of threads) {
    if (t.frames.length === 0) continue;
    const top = t.frames.slice(0, GROUP_FRAMES);
    const key = `${t.state}\n${top.join('\n')}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      if (g.threadNames.length < 10) g.threadNames.push(t.name);
    } else {
      groups.set(key, { count: 1, state: t.state, frames: top.slice(0, frameCount), threadNames: [t.name] });
    }
  }
  return [...groups.values()].filter((g) => g.count >= 2).sort((a, b) => b.count - a.count);
}

function summarisePools(threads: ThreadInfo[]): PoolSummary[] {
  const byPool = new Map<string, ThreadInfo[]>();
  for (const t of threads) {
    const p = normalisePoolName(t.name);
    if (!p.endsWith('*')) continue;
    const list = byPool.get(p);
    if (list) list.push(t);
    else byPool.set(p, [t]);
  }
  const pools: PoolSummary[] = [];
  for (const [name, members] of byPool) {
    if (members.length < 2) continue;
    const states: Record<string, number> = {};
    let idle = 0;
    const frames = new Map<string, number>();
    for (const t of members) {
      states[t.state] = (states[t.state] ?? 0) + 1;
      // Waiting without a timeout and not for a lock means waiting for a signal: a worker with nothing to do
      // (custom idle loops park like this), unless the signal is another task's result (Future.get, a latch). A
      // saturated pool's workers run, block, sleep, wait for a lock or wait for such a result.
      if (isIdleStack(t.frames) || (t.state === 'WAITING' && !t.waitingFor && !isAwaitingResult(t.frames))) {
        idle++;
        continue;
      }
      const f = appFrame(t.frames);
      if (f) frames.set(f, (frames.get(f) ?? 0) + 1);
    }
    let topFrame: string | undefined;
    let topFrameCount = 0;
    for (const [f, n] of frames) if (n > topFrameCount) [topFrame, topFrameCount] = [f, n];
    // Saturated: nobody is free to take work, and most are stuck at the same place (fastThread, TDA).
    const saturated = idle === 0 && members.length >= 3 && topFrameCount >= 0.75 * members.length;
    const pool: PoolSummary = { name, size: members.length, states, idle, topFrameCount, saturated };
    if (topFrame) pool.topFrame = topFrame;
    pools.push(pool);
  }
  return pools.sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
}

/** Identity of a thread across dumps of one process: its JVM address plus name (addresses get reused). */
function threadKey(t: ThreadInfo): string {
  return `${t.tid ?? t.nid ?? ''}|${t.name}`;
}

/**
 * Threads that used CPU while the dumps were taken, never a total since the thread started (the main thread of a
 * Spring Boot app, later `DestroyJavaVM`, holds the whole startup and would always "win"). Best first:
 * the `cpu=` delta between the first and last dump (JDK 11+), the TIME+ delta between the first and last `top -H`
 * (any JDK), the %CPU of a single `top -H` sample; with none of them CPU during the window is unknown.
 */
function findHotThreads(dumps: ParsedDump[], top: TextInput[], frameCount: number, warnings: string[]): { hot: HotThread[]; cpu: CpuWindow } {
  const byDelta = cpuDelta(dumps, frameCount);
  if (byDelta) return byDelta;

  const samples = top.map((t) => ({ name: t.name, rows: parseTopThreads(t.text) }));
  const usable = samples.filter((s) => s.rows.length > 0);
  if (top.length > 0 && usable.length === 0) warnings.push(`${top.map((t) => t.name).join(', ')}: no thread rows found; expected the output of top -H -b -n 1 -p <pid>`);
  if (usable.length > 0) {
    // Each top was taken alongside a dump; any dump names the thread (later dumps hold threads started since).
    const byNid = new Map<number, ThreadInfo>();
    for (const d of dumps) for (const t of d.threads) if (t.nid !== undefined && !byNid.has(t.nid)) byNid.set(t.nid, t);
    if (!usable.some((s) => s.rows.some((r) => byNid.has(r.tid)))) {
      warnings.push('top -H output matched no thread of the dumps by nid: was it taken from the same process?');
    } else if (usable.length >= 2) {
      const first = new Map(usable[0]!.rows.map((r) => [r.tid, r]));
      const lastRows = usable[usable.length - 1]!.rows;
      const windowMs = dumpSpanMs(dumps);
      const hot: HotThread[] = [];
      for (const r of lastRows) {
        const t = byNid.get(r.tid);
        const b = first.get(r.tid);
        if (!t || !b) continue;
        const delta = r.cpuMs - b.cpuMs;
        if (delta <= 0) continue;
        const h: HotThread = { name: t.name, cpuMs: delta, source: 'top-delta', state: t.state, nid: r.tid, frames: t.frames.slice(0, frameCount) };
        if (windowMs) h.cpuPercent = Math.round((delta / windowMs) * 1000) / 10;
        hot.push(h);
      }
      return { hot: hot.sort((a, b) => b.cpuMs - a.cpuMs), cpu: windowMs ? { measured: 'top-delta', windowMs } : { measured: 'top-delta' } };
    } else {
      // One sample: top's %CPU is measured over its own short interval, its TIME+ since the thread started.
      const hot: HotThread[] = [];
      for (const r of usable[0]!.rows) {
        const t = byNid.get(r.tid);
        if (!t || r.cpuPercent <= 0) continue;
        hot.push({ name: t.name, cpuMs: r.cpuMs, cpuPercent: r.cpuPercent, source: 'top-H', state: t.state, nid: r.tid, frames: t.frames.slice(0, frameCount) });
      }
      return { hot: hot.sort((a, b) => (b.cpuPercent ?? 0) - (a.cpuPercent ?? 0)), cpu: { measured: 'top-H' } };
    }
  }
  const reason =
    dumps.length < 2
      ? 'one dump only: the cpu= of a single dump is a total since each thread started, not what it uses now'
      : 'these dumps carry no cpu= (JDK 8?) and no top -H was taken beside them';
  return { hot: [], cpu: { measured: 'none', reason } };
}

/** `cpu=` deltas between the first and last dump that carry them (JDK 11+), or undefined when fewer than two do. */
function cpuDelta(dumps: ParsedDump[], frameCount: number): { hot: HotThread[]; cpu: CpuWindow } | undefined {
  const withCpu = dumps.filter((d) => d.threads.some((t) => t.cpuMs !== undefined));
  if (withCpu.length < 2) return undefined;
  const first = withCpu[0]!;
  const lastDump = withCpu[withCpu.length - 1]!;
  const before = new Map(first.threads.map((t) => [threadKey(t), t]));
  const intervals: number[] = [];
  const pairs: Array<[ThreadInfo, ThreadInfo]> = [];
  for (const t of lastDump.threads) {
    const b = before.get(threadKey(t));
    if (!b || b.cpuMs === undefined || t.cpuMs === undefined) continue;
    pairs.push([b, t]);
    if (b.elapsedMs !== undefined && t.elapsedMs !== undefined && t.elapsedMs > b.elapsedMs) intervals.push(t.elapsedMs - b.elapsedMs);
  }
  if (pairs.length === 0) return undefined;
  intervals.sort((a, b) => a - b);
  const interval = intervals.length > 0 ? intervals[Math.floor(intervals.length / 2)] : dumpSpanMs(withCpu);
  const hot: HotThread[] = [];
  for (const [b, t] of pairs) {
    const delta = Math.round((t.cpuMs! - b.cpuMs!) * 100) / 100;
    if (delta <= 0) continue;
    const h: HotThread = { name: t.name, cpuMs: delta, source: 'cpu-delta', state: t.state, frames: t.frames.slice(0, frameCount) };
    if (interval) h.cpuPercent = Math.round((delta / interval) * 1000) / 10;
    if (t.nid !== undefined) h.nid = t.nid;
    hot.push(h);
  }
  return { hot: hot.sort((a, b) => b.cpuMs - a.cpuMs), cpu: interval ? { measured: 'cpu-delta', windowMs: Math.round(interval) } : { measured: 'cpu-delta' } };
}

/** Wall time between the first and last dump from their timestamp lines (second resolution), when both have one. */
function dumpSpanMs(dumps: ParsedDump[]): number | undefined {
  const ms = (d: ParsedDump | undefined): number => (d?.timestamp ? Date.parse(d.timestamp.replace(' ', 'T')) : Number.NaN);
  const span = ms(dumps[dumps.length - 1]) - ms(dumps[0]);
  return Number.isFinite(span) && span > 0 ? span : undefined;
}

/** Threads that are working or blocked (not idle) in the very same stack in every dump. */
function findStuckThreads(dumps: ParsedDump[], frameCount: number): StuckThread[] {
  if (dumps.length < 2) return [];
  const maps = dumps.map((d) => new Map(d.threads.map((t) => [threadKey(t), t])));
  const out: StuckThread[] = [];
  for (const t of dumps[dumps.length - 1].threads) {
    if (t.frames.length === 0 || isIdleStack(t.frames)) continue;
    if (!(t.state === 'RUNNABLE' || t.state === 'BLOCKED' || t.waitingFor)) continue;
    const stack = t.frames.join('\n');
    const key = threadKey(t);
    if (maps.every((m) => m.get(key)?.frames.join('\n') === stack)) {
      out.push({ name: t.name, state: t.state, dumps: dumps.length, frames: t.frames.slice(0, frameCount) });
    }
  }
  return out;
}

function short(frame: string | undefined): string {
  if (!frame) return '?';
  // `java.lang.Thread.sleep(java.base@17.0.15/Native Method)` → `java.lang.Thread.sleep`
  const paren = frame.indexOf('(');
  return paren > 0 ? frame.slice(0, paren) : frame;
}

function pct(n: number, of: number): number {
  return of === 0 ? 0 : Math.round((n / of) * 100);
}

function deriveFindings(r: ThreadReport, last: ParsedDump, dumpCount: number): Finding[] {
  const f: Finding[] = [];
  for (const d of r.deadlocks) {
    const kinds = [...new Set(d.locks.map((l) => (l.kind === 'synchronizer' ? shortType(l.type) || 'ownable synchronizer' : 'monitor')))].join(' + ');
    f.push({
      severity: 'critical',
      title: `Deadlock: ${d.threads.map((n) => `"${n}"`).join(' → ')} → "${d.threads[0]}" (${kinds})`,
      detail: d.locks.map((l) => `"${l.waiter}" waits for <${l.lock}>${l.type ? ` (${l.type})` : ''} held by "${l.heldBy}"`).join('; ') +
        '. These threads will never finish: restart the JVM, then fix the lock order.',
    });
  }

  const deadlocked = new Set(r.deadlocks.flatMap((d) => d.locks.map((l) => l.lock)));
  let reported = 0;
  for (const c of r.contention) {
    if (deadlocked.has(c.lock) || c.waiters < 2 || reported >= 3) continue;
    reported++;
    const what = `${c.waiters} threads wait for <${c.lock}>${c.type ? ` (${shortType(c.type)})` : ''}`;
    if (c.holder === null) {
      f.push({
        severity: 'info',
        title: `${what}, owner unknown`,
        detail: last.hasOwnableInfo ? 'No thread in the dump holds it (a VM thread or a released lock).' : 'Take dumps with jstack -l (or jcmd Thread.print -l) to see who owns ReentrantLocks.',
      });
      continue;
    }
    const doing = `${c.holderState ?? '?'} in ${short(appFrame(c.holderFrames))}`;
    f.push({
      severity: c.waiters >= 3 ? 'warn' : 'info',
      title: `${what} held by "${c.holder}" (${doing})`,
      detail: c.holderIdle ? 'The holder sleeps, waits or does I/O while holding the lock: everyone behind it queues.' : undefined,
    });
  }

  const blocked = r.states.BLOCKED ?? 0;
  if (blocked >= 3 && blocked >= 0.1 * r.threads) {
    f.push({ severity: 'warn', title: `${blocked} of ${r.threads} threads (${pct(blocked, r.threads)}%) are BLOCKED on monitors` });
  }

  // Deadlocked threads are already reported; `Thread-*` is the JVM's default name, not a pool.
  const inDeadlock = new Set(r.deadlocks.flatMap((d) => d.threads));
  const byPool = new Map<string, ThreadInfo[]>();
  for (const t of last.threads) {
    const p = normalisePoolName(t.name);
    const list = byPool.get(p);
    if (list) list.push(t);
    else byPool.set(p, [t]);
  }
  for (const p of r.pools) {
    if (p.name === 'Thread-*') continue;
    const members = byPool.get(p.name) ?? [];
    const stuckOnLocks = members.filter((t) => t.waitingFor && !inDeadlock.has(t.name)).length;
    if (stuckOnLocks >= 2 && stuckOnLocks >= 0.5 * p.size) {
      f.push({ severity: 'warn', title: `Pool ${p.name}: ${stuckOnLocks} of ${p.size} threads are blocked on locks` });
    } else if (p.saturated) {
      f.push({ severity: 'warn', title: `Pool ${p.name} is saturated: ${p.size - p.idle} of ${p.size} busy, ${p.topFrameCount} in ${short(p.topFrame)}` });
    }
  }

  const hot = r.hotThreads[0];
  if (hot && hot.cpuPercent !== undefined) {
    const measured = hot.source === 'top-H' ? 'per top -H' : 'between the dumps';
    if (hot.cpuPercent >= 80) {
      f.push({ severity: 'warn', title: `Thread "${hot.name}" uses ${Math.round(hot.cpuPercent)}% of a core ${measured}, in ${short(appFrame(hot.frames))}` });
    } else if (hot.cpuPercent >= 30) {
      f.push({ severity: 'info', title: `Hottest thread "${hot.name}": ${Math.round(hot.cpuPercent)}% of a core ${measured}` });
    }
  }

  // Deadlocked threads are stuck by definition and already reported as critical.
  const stuckNotDeadlocked = r.stuck.filter((s) => !inDeadlock.has(s.name));
  if (stuckNotDeadlocked.length > 0) {
    const bySpot = new Map<string, StuckThread[]>();
    for (const s of stuckNotDeadlocked) {
      const k = `${s.state} ${short(appFrame(s.frames))}`;
      bySpot.set(k, [...(bySpot.get(k) ?? []), s]);
    }
    const spots = [...bySpot.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
    for (const [spot, list] of spots) {
      f.push({
        severity: 'warn',
        title: `${list.length} thread(s) in the same stack in all ${dumpCount} dumps: ${spot}`,
        detail: list.slice(0, 5).map((s) => `"${s.name}"`).join(', '),
      });
    }
  }

  const big = r.groups.find((g) => g.count >= 10 && g.count >= 0.2 * r.threads && !isIdleStack(g.frames));
  if (big) f.push({ severity: 'info', title: `${big.count} threads share one ${big.state} stack at ${short(appFrame(big.frames))}` });

  if (!last.hasOwnableInfo && last.format === 'hotspot' && last.threads.some((t) => t.waitingFor?.kind === 'synchronizer')) {
    f.push({ severity: 'info', title: 'Dump taken without -l: owners of ReentrantLocks are unknown; use jstack -l or jcmd Thread.print -l' });
  }
  if (f.length === 0) f.push({ severity: 'info', title: `No deadlock, contention or hot thread found in ${r.threads} threads` });
  return f
    .map((x, i) => [x, i] as const)
    .sort((a, b) => SEVERITY_ORDER[a[0].severity] - SEVERITY_ORDER[b[0].severity] || a[1] - b[1])
    .map(([x]) => (x.detail === undefined ? { severity: x.severity, title: x.title } : x));
}

/** `java.util.concurrent.locks.ReentrantLock$NonfairSync` → `ReentrantLock$NonfairSync`. */
function shortType(type: string): string {
  const dot = type.lastIndexOf('.');
  return dot >= 0 ? type.slice(dot + 1) : type;
}

/** The CLI's `--json` contract (see issue 6), plus a few extra keys after the contract's. */
export function toThreadReportJson(r: ThreadReport): Record<string, unknown> {
  return {
    threads: r.threads,
    states: r.states,
    deadlocks: r.deadlocks.map((d) => ({ threads: d.threads, locks: d.locks, source: d.source })),
    contention: r.contention.map((c: Contention) => ({ ...c })),
    groups: r.groups.map((g) => ({ count: g.count, state: g.state, frames: g.frames, threads: g.threadNames })),
    hotThreads: r.hotThreads.map((h) => ({ ...h })),
    findings: r.findings.map((x) => (x.detail ? { severity: x.severity, title: x.title, detail: x.detail } : { severity: x.severity, title: x.title })),
    warnings: r.warnings,
    daemon: r.daemon,
    virtual: r.virtual,
    pools: r.pools,
    stuck: r.stuck,
    dumps: r.dumps,
    cpu: r.cpu,
  };
}
