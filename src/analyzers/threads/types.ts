/**
 * Types of the thread-dump analyzer. A dump is parsed into `ParsedDump`s (one per "Full thread dump" in a file),
 * and the analysis turns one or several of them into a `ThreadReport`.
 */

/** One named text input: a file's content, or an SSM command's output. */
export interface TextInput {
  name: string;
  text: string;
}

export type LockKind = 'monitor' | 'synchronizer';

/** A lock as the dump prints it: `<0x000000069ec1ab38> (a java.lang.Object)`. */
export interface LockRef {
  /** Address as printed, lower-case, with `0x` (HP-UX prints none; we add it). */
  id: string;
  /** Class of the lock object, e.g. `java.util.concurrent.locks.ReentrantLock$NonfairSync`; '' when not printed. */
  type: string;
}

/** Where a thread's state came from: its `java.lang.Thread.State:` line, the header's text, or nowhere. */
export type StateSource = 'state-line' | 'header' | 'json' | 'none';

export interface ThreadInfo {
  /** Position in its dump; thread names are not unique (two `DeadlockThread-A` can coexist). */
  index: number;
  name: string;
  /** Java thread number (`#12`), absent for VM-internal threads. */
  number?: number;
  daemon: boolean;
  virtual: boolean;
  /** JVM thread address (`tid=0x...`); stable for a live thread across dumps of one process. */
  tid?: string;
  /** OS thread id as a number (hex up to JDK 17, decimal from JDK 18: both normalised here). */
  nid?: number;
  /** `RUNNABLE`, `BLOCKED`, `WAITING`, `TIMED_WAITING`, `NEW`, `TERMINATED` or `UNKNOWN`. */
  state: string;
  /** The parenthesised detail of the state line: `sleeping`, `parking`, `on object monitor`. */
  stateDetail?: string;
  stateSource: StateSource;
  cpuMs?: number;
  elapsedMs?: number;
  /** Frames without the leading `at `; for a carrier thread, the mounted virtual thread's frames come first. */
  frames: string[];
  /** Monitors held (`- locked`), minus those it waits on with Object.wait (which releases them). */
  locked: LockRef[];
  /** `Locked ownable synchronizers` (only with `jstack -l` / `Thread.print -l`). */
  ownable: LockRef[];
  /** The lock this thread is blocked on, if any. */
  waitingFor?: LockRef & { kind: LockKind };
  /** `- waiting on` (Object.wait): not an ownership edge, kept for display. */
  waitingOn?: LockRef;
  /** `Carrying virtual thread #N`. */
  carrying?: string;
}

/** A deadlock cycle as the JVM printed it in its own `Found one Java-level deadlock` section. */
export interface JvmDeadlock {
  threads: string[];
  locks: string[];
}

export type DumpFormat = 'hotspot' | 'dump-to-file-text' | 'dump-to-file-json';

export interface ParsedDump {
  /** Input name plus the dump's position when a file holds several. */
  source: string;
  format: DumpFormat;
  /** `2026-11-26 03:15:54`, or the ISO time of the JSON format. */
  timestamp?: string;
  /** `OpenJDK 64-Bit Server VM (17.0.15+6-... mixed mode, sharing)` or the JSON `runtimeVersion`. */
  jvm?: string;
  threads: ThreadInfo[];
  jvmDeadlocks: JvmDeadlock[];
  /** Whether any thread printed a `Locked ownable synchronizers` block (i.e. the dump was taken with `-l`). */
  hasOwnableInfo: boolean;
}

export interface ParseResult {
  dumps: ParsedDump[];
  warnings: string[];
}

export type FindingSeverity = 'critical' | 'warn' | 'info';

export interface Finding {
  severity: FindingSeverity;
  title: string;
  /** Longer explanation and what to do. */
  detail?: string;
}

export interface DeadlockLock {
  lock: string;
  type: string;
  kind: LockKind;
  /** Thread that waits for this lock. */
  waiter: string;
  /** Thread that holds it. */
  heldBy: string;
}

export interface Deadlock {
  threads: string[];
  locks: DeadlockLock[];
  /** `lock-graph`: found by our own cycle search; `jvm`: only in the JVM's section; `both`: both agree. */
  source: 'lock-graph' | 'jvm' | 'both';
}

export interface Contention {
  lock: string;
  type: string;
  kind: LockKind;
  /** Name of the holding thread, or null when no thread in the dump owns it (VM thread, or dump taken without -l). */
  holder: string | null;
  holderState?: string;
  /** The holder's top frames: what it does while others wait. */
  holderFrames: string[];
  /** True when the holder sleeps, waits or does I/O while holding the lock ("traffic jam"). */
  holderIdle: boolean;
  waiters: number;
  waiterNames: string[];
}

export interface StackGroup {
  count: number;
  state: string;
  frames: string[];
  threadNames: string[];
}

export interface PoolSummary {
  /** Normalised name: `http-nio-8080-exec-*`. */
  name: string;
  size: number;
  states: Record<string, number>;
  /** Threads waiting for work (in `ThreadPoolExecutor.getTask`, a queue take, a selector...). */
  idle: number;
  /** The most common top frame among busy threads and how many share it. */
  topFrame?: string;
  topFrameCount: number;
  saturated: boolean;
}

export interface HotThread {
  name: string;
  /**
   * `cpu-delta` / `top-delta`: CPU used between the first and the last dump (cpu=) or top -H sample (TIME+).
   * `top-H` (a single sample): top's TIME+, the total since the thread started; rank by `cpuPercent` only.
   */
  cpuMs: number;
  /** Share of one core over the measured interval, when known. */
  cpuPercent?: number;
  source: 'cpu-delta' | 'top-delta' | 'top-H';
  state: string;
  nid?: number;
  frames: string[];
}

/** How CPU per thread during the dumps was measured; `none` says why it is unknown. */
export type CpuWindow = { measured: 'cpu-delta' | 'top-delta'; windowMs?: number } | { measured: 'top-H' } | { measured: 'none'; reason: string };

export interface StuckThread {
  name: string;
  state: string;
  dumps: number;
  frames: string[];
}

export interface DumpSummary {
  source: string;
  format: DumpFormat;
  timestamp?: string;
  jvm?: string;
  threads: number;
}

export interface ThreadReport {
  dumps: DumpSummary[];
  /** Counts of the last dump. */
  threads: number;
  states: Record<string, number>;
  daemon: number;
  virtual: number;
  pools: PoolSummary[];
  deadlocks: Deadlock[];
  contention: Contention[];
  groups: StackGroup[];
  /** Threads that used CPU during the dumps, most first (never totals since a thread started). */
  hotThreads: HotThread[];
  cpu: CpuWindow;
  stuck: StuckThread[];
  findings: Finding[];
  warnings: string[];
}
