import type { Executor } from './executor.js';
import type { Actor } from './identity.js';
import type { Inventory } from './inventory.js';
import type { PgPort } from './pg-port.js';
import type { KafkaPort } from './kafka-port.js';
import type { JobKind, JobRequest, JobRequestOf, JobResult, JobResultOf } from './jobs.js';
import type { DumpFiles } from './kinds/jvm.js';
import type { DiskHistory } from './kinds/disk.js';
import type { Clock, Logger } from './ports.js';

/**
 * Everything a runbook may touch. The world comes in through these ports; only main.ts/cli.ts build them.
 * Optional services are absent in processes that are not configured for them (a clear UserError then).
 */
export interface RunbookServices {
  executor: Executor;
  /** PostgreSQL checks and signals plus RDS metrics (`db.*` runbooks); absent when not configured. */
  pg?: PgPort;
  /** Heap-dump files: this host's dump directory, the upload bucket, S3 downloads (`jvm.*` runbooks). */
  dumps?: DumpFiles;
  /** Kafka admin reads (`kafka.*` runbooks); absent when not configured. */
  kafka?: KafkaPort;
  /** Last disk readings per instance and mount (`disk` growth); absent without Redis (CLI). */
  diskHistory?: DiskHistory;
  /**
   * Queues a job after this one (the heap analysis after a dump) on its own queue, with the same actor and thread;
   * returns its job id. Absent where there is no queue (CLI): the runbook then does the work itself.
   */
  followUp?: (f: FollowUpRequest) => Promise<string>;
}

/** A job a runbook asks for once its own work is done. */
export interface FollowUpRequest {
  parentJobId: string;
  request: JobRequest;
  /** One line for `job <id>` and audit. */
  summary: string;
}

export interface RunbookContext {
  jobId: string;
  actor: Actor;
  /** Aborted when the job is cancelled or the worker shuts down. */
  signal: AbortSignal;
  inventory: Inventory;
  services: RunbookServices;
  log: Logger;
  clock: Clock;
  /** Reports progress; long jobs post it to the thread, rate-limited by the caller. */
  progress(note: string, fraction?: number): Promise<void>;
  /** Worker identity (host:pid), for results that show who ran them. */
  workerId: string;
  /** When this job is a flow's parent: its children's results (absent otherwise, e.g. in the CLI). */
  childResults?: JobResult[];
}

export type Runbook<K extends JobKind> = (request: JobRequestOf<K>, ctx: RunbookContext) => Promise<JobResultOf<K>>;

/**
 * What Medic looked up about a request before asking anyone to approve it, in words for the approval card
 * (never the raw job data). Only what Medic read goes here; what it could not read is said in `notes`.
 */
export interface RequestPreview {
  /** Label and value, e.g. ["Database", "acme-prod/main (app on db1:5432)"]. */
  facts: Array<[string, string]>;
  /** Sentences under the facts: what the action will do, what Medic could not check. */
  notes: string[];
}

export interface PreflightContext {
  inventory: Inventory;
  services: RunbookServices;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * A read-only look at the target before approval (does the backend exist, what does it run, whom does it block).
 * Throws a UserError when there is nothing to act on, so no approval is asked for a request that cannot work.
 */
export type Preflight<K extends JobKind> = (request: JobRequestOf<K>, ctx: PreflightContext) => Promise<RequestPreview>;

/** The app's side of the preflights: undefined for kinds that have none. Wired by main.ts. */
export type PreflightPort = (request: JobRequest, signal?: AbortSignal) => Promise<RequestPreview | undefined>;
