import type { DbCancelRequest, DbCancelResult, DbHealthRequest, DbHealthResult, DbKillRequest, DbKillResult } from './kinds/db.js';
import type { PingRequest, PingResult } from './kinds/system.js';
import type { Actor, ReplyTo, Risk } from './identity.js';
import type { HealthRequest, HealthResult } from './kinds/health.js';
import type { DiskCheckRequest, DiskCheckResult, DiskCleanupRequest, DiskCleanupResult } from './kinds/disk.js';
import type { KafkaRecoverRequest, KafkaRecoverResult, KafkaStatusRequest, KafkaStatusResult } from './kinds/kafka.js';
import type { JvmHeapAnalyzeRequest, JvmHeapAnalyzeResult, JvmHeapRequest, JvmHeapResult, JvmOomRequest, JvmOomResult, JvmThreadsRequest, JvmThreadsResult } from './kinds/jvm.js';
export type { ResultAttachment, ResultBase } from './result.js';

/**
 * Every kind of job Medic runs, with its request and result. Adding a kind here without its runbook
 * (src/runbooks/index.ts) and its card (cards/index.ts) fails to compile: both are mapped over this type.
 */
export interface JobKinds {
  'system.ping': { request: PingRequest; result: PingResult };
  'health.check': { request: HealthRequest; result: HealthResult };
  'db.health': { request: DbHealthRequest; result: DbHealthResult };
  'db.cancel': { request: DbCancelRequest; result: DbCancelResult };
  'db.kill': { request: DbKillRequest; result: DbKillResult };
  'jvm.threads': { request: JvmThreadsRequest; result: JvmThreadsResult };
  'jvm.heap': { request: JvmHeapRequest; result: JvmHeapResult };
  'jvm.heap.analyze': { request: JvmHeapAnalyzeRequest; result: JvmHeapAnalyzeResult };
  'jvm.oom': { request: JvmOomRequest; result: JvmOomResult };
  'disk.check': { request: DiskCheckRequest; result: DiskCheckResult };
  'disk.cleanup': { request: DiskCleanupRequest; result: DiskCleanupResult };
  'kafka.status': { request: KafkaStatusRequest; result: KafkaStatusResult };
  'kafka.recover': { request: KafkaRecoverRequest; result: KafkaRecoverResult };
}

export type JobKind = keyof JobKinds;
export type JobRequestOf<K extends JobKind> = JobKinds[K]['request'];
export type JobResultOf<K extends JobKind> = JobKinds[K]['result'];
/** A typed request, discriminated on `kind`. */
export type JobRequest = { [K in JobKind]: JobRequestOf<K> }[JobKind];
/** A typed result, discriminated on `kind`. */
export type JobResult = { [K in JobKind]: JobResultOf<K> }[JobKind];

/** What travels on the `runbooks` queue: the request plus who asked and where the answer goes. Never secrets. */
export interface RunbookJobData {
  request: JobRequest;
  actor: Actor;
  replyTo?: ReplyTo;
  risk: Risk;
  /** The chat text (or alert title) that produced this job, for `job <id>` and audit. */
  origin: string;
  /** Environment the job acts on, when it has one (locks, budgets, `jobs` filtering). */
  env?: string;
  /** Resolved targets (instances, databases, ...): one lock each while the job runs. */
  targets?: string[];
  /** This job is the parent of a flow: its runbook receives the children's results. */
  fanOut?: boolean;
}

/** States as a person reads them in `job <id>`. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

export interface JobView {
  id: string;
  kind: JobKind;
  state: JobState;
  origin: string;
  actor: Actor;
  roomId?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  summary?: string;
  error?: string;
  attempts: number;
}
