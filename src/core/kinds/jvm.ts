import { UserError } from '../errors.js';
import type { Inventory, JvmSpec, Tier } from '../inventory.js';
import type { ResultBase } from '../result.js';
import type { HeapReport } from './heap-report.js';

/**
 * `jvm threads`, `jvm heap`, `jvm oom` and the heap analysis they queue (`jvm.heap.analyze`).
 * The thread report shape below is the contract a result carries through the queue to its card; it is declared here
 * because src/core imports nothing else of the project, and the analyzer's ThreadReport is assigned to it in the
 * runbook, so a drift fails to compile there. The heap report is the analyzer's own type (./heap-report.ts).
 */

/** `jvm threads <env> <target> [count] [interval]`: read-only, `count` dumps `intervalSeconds` apart. */
export interface JvmThreadsRequest {
  kind: 'jvm.threads';
  env: string;
  /** Display name (tier `names`), instance id, or `local`. */
  target: string;
  count: number;
  intervalSeconds: number;
}

/** `jvm heap <env> <target>`: a live-objects, gzip'd heap dump (pauses the JVM), then its analysis. */
export interface JvmHeapRequest {
  kind: 'jvm.heap';
  env: string;
  target: string;
}

/** `jvm oom <env> <target>`: dump (or pick up the OOM dump), restart, wait for health, analyze. */
export interface JvmOomRequest {
  kind: 'jvm.oom';
  env: string;
  target: string;
}

/** Where a collected heap dump lives: on the host Medic runs on, or in S3 after the instance uploaded it. */
export type DumpLocation = { type: 'local'; path: string } | { type: 's3'; bucket: string; key: string } | { type: 'instance'; path: string };

/** Queued by `jvm heap` / `jvm oom`, never typed in chat: analyzes one dump on the `analysis` queue. */
export interface JvmHeapAnalyzeRequest {
  kind: 'jvm.heap.analyze';
  env: string;
  target: JvmTargetInfo;
  dump: DumpLocation;
  dumpBytes: number;
  /** The job that collected the dump, shown on the card. */
  parentJobId: string;
}

/** The instance a JVM command acted on. */
export interface JvmTargetInfo {
  env: string;
  tier: string;
  instanceId: string;
  /** Display name from the inventory, else the instance id. */
  name: string;
}

// --- thread report (src/analyzers/threads ThreadReport, the parts that travel)

export interface JvmThreadReport {
  threads: number;
  states: Record<string, number>;
  daemon: number;
  virtual: number;
  dumps: Array<{ source: string; format: string; timestamp?: string; jvm?: string; threads: number }>;
  findings: Array<{ severity: 'critical' | 'warn' | 'info'; title: string; detail?: string }>;
  deadlocks: Array<{ threads: string[]; locks: Array<{ lock: string; type: string; waiter: string; heldBy: string }> }>;
  contention: Array<{ lock: string; type: string; holder: string | null; holderState?: string; holderFrames: string[]; waiters: number }>;
  /** Threads that used CPU during the dumps (see `cpu` for how it was measured), most first. */
  hotThreads: Array<{ name: string; cpuMs: number; cpuPercent?: number; source: string; frames: string[] }>;
  /** How CPU during the dumps was measured; optional for results stored before it existed. */
  cpu?: { measured: 'cpu-delta' | 'top-delta'; windowMs?: number } | { measured: 'top-H' } | { measured: 'none'; reason: string };
  groups: Array<{ count: number; state: string; frames: string[] }>;
  warnings: string[];
}

export interface JvmThreadsResult extends ResultBase {
  kind: 'jvm.threads';
  target: JvmTargetInfo;
  count: number;
  intervalSeconds: number;
  /** The JVM as the document found it. */
  jvm: { pid: number; user: string; tool: string };
  report: JvmThreadReport;
  durationMs: number;
  commandId: string;
}

// --- heap report: the analyzer's own report type, which lives in src/core/kinds/heap-report.ts

/** What a heap analysis result carries (histogram and biggest objects trimmed; the full report is attached). */
export type JvmHeapReport = HeapReport;

/** What the heap-dump document measured. */
export interface HeapDumpFacts {
  dump: DumpLocation;
  dumpBytes: number;
  /** How long the JVM was paused writing the dump (jcmd's own figure when it prints one, else the jcmd call). */
  pauseMs: number;
  /** Used heap before the dump and free space where it was written, as the disk check saw them. */
  usedHeapBytes: number | null;
  freeBytes: number | null;
  /** `live`: taken now with jcmd; `existing`: the file -XX:HeapDumpPath already held. */
  source: 'live' | 'existing';
  pid: number | null;
}

/** The analysis, done inline (no queue in this process) or queued on the `analysis` queue. */
export type HeapAnalysisOutcome = { status: 'done'; report: JvmHeapReport } | { status: 'queued'; jobId: string } | { status: 'unavailable'; reason: string };

export interface JvmHeapResult extends ResultBase {
  kind: 'jvm.heap';
  target: JvmTargetInfo;
  facts: HeapDumpFacts;
  analysis: HeapAnalysisOutcome;
  commandId: string;
}

export interface JvmHeapAnalyzeResult extends ResultBase {
  kind: 'jvm.heap.analyze';
  target: JvmTargetInfo;
  dump: DumpLocation;
  dumpBytes: number;
  parentJobId: string;
  report: JvmHeapReport;
}

export type OomStepName = 'dump' | 'restart' | 'health' | 'analysis';

export interface OomStep {
  name: OomStepName;
  status: 'ok' | 'failed' | 'skipped' | 'queued';
  detail: string;
  durationMs: number;
}

export interface JvmOomResult extends ResultBase {
  kind: 'jvm.oom';
  target: JvmTargetInfo;
  steps: OomStep[];
  /** The step that stopped the chain; absent when every step went through. */
  failedStep?: OomStepName;
  facts?: HeapDumpFacts;
  analysis?: HeapAnalysisOutcome;
}

/** Key prefix of every heap dump instances upload: `medic-dumps/<env>/<instance>/…` in MEDIC_DUMP_BUCKET. */
export const DUMP_S3_PREFIX = 'medic-dumps';

/**
 * Files behind the heap-dump runbooks: where this host keeps dumps, where instances upload them, and how a worker
 * gets an S3 dump onto its own disk for the analyzer. Implemented by src/executors/s3-files.ts.
 */
export interface DumpFiles {
  /** Absolute directory on this host for dumps taken by the local executor (MEDIC_DUMP_DIR). */
  localDir: string;
  /** Bucket instances upload heap dumps to (MEDIC_DUMP_BUCKET); absent = dumps stay on the instance. */
  bucket?: string;
  /** Free space a dump needs beyond the used heap, in percent (MEDIC_DUMP_HEADROOM_PERCENT, default 10). */
  headroomPercent?: number;
  /** Streams an S3 object to a temporary file; `release` deletes it. */
  download(location: { bucket: string; key: string }, signal?: AbortSignal): Promise<{ path: string; bytes: number; release(): Promise<void> }>;
}

/** A JVM target resolved against the inventory. */
export interface ResolvedJvmTarget extends JvmTargetInfo {
  jvm: JvmSpec;
}

/**
 * Finds the instance a JVM command names: a display name from a tier's `names`, an instance id listed in a tier's
 * targets, or an instance id of a tag-selected tier when only one such tier has a JVM. Shared by the commands (the
 * approval binds to the resolved instance) and the runbooks, so both read the inventory the same way.
 */
export function resolveJvmTarget(inventory: Inventory, envName: string, target: string): ResolvedJvmTarget {
  const env = inventory[envName];
  if (!env) throw new UserError(`There is no environment \`${envName}\`.`, 'Type `envs` to see the environments you may use.');
  const tiers = Object.entries(env.tiers);
  const known = tiers.flatMap(([, t]) => ('instanceIds' in t.targets ? t.targets.instanceIds.map((id) => t.names?.[id] ?? id) : []));
  const withJvm = (tierName: string, tier: Tier, instanceId: string): ResolvedJvmTarget => {
    if (!tier.jvm) throw new UserError(`Tier \`${tierName}\` of \`${envName}\` has no JVM in the inventory.`, 'Add `jvm: { process: <command-line pattern> }` (or `container:`) to the tier in the config file.');
    return { env: envName, tier: tierName, instanceId, name: tier.names?.[instanceId] ?? instanceId, jvm: tier.jvm };
  };
  for (const [name, tier] of tiers) {
    const byName = Object.entries(tier.names ?? {}).find(([, display]) => display === target);
    if (byName) return withJvm(name, tier, byName[0]);
  }
  for (const [name, tier] of tiers) {
    if ('instanceIds' in tier.targets && tier.targets.instanceIds.includes(target)) return withJvm(name, tier, target);
  }
  if (/^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})$/.test(target)) {
    const tagTiers = tiers.filter(([, t]) => 'tag' in t.targets && t.jvm);
    if (tagTiers.length === 1) return withJvm(tagTiers[0]![0], tagTiers[0]![1], target);
  }
  throw new UserError(`\`${target}\` is not an instance of \`${envName}\`.`, known.length ? `Its instances: ${known.slice(0, 20).join(', ')}.` : 'Name an instance id of one of its tiers.');
}
