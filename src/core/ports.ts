import type { JobResult, JobView, RunbookJobData } from './jobs.js';

/** A file attached to a message (full reports, raw dumps). */
export interface OutgoingFile {
  name: string;
  contentType: string;
  data: Buffer;
}

/** A message Medic posts: fallback text, an optional Adaptive Card, optional file, in a thread. */
export interface OutgoingMessage {
  roomId: string;
  parentId?: string;
  text: string;
  card?: unknown;
  file?: OutgoingFile;
  /** When the event this answers reached Medic, for the reply-latency metric. */
  causedAt?: number;
}

/** The chat platform as the rest of Medic sees it. The Webex adapter implements it. */
export interface ChatPort {
  send(message: OutgoingMessage): Promise<{ id: string }>;
}

/** The `replies` queue: posting is retried there, so a use-case only enqueues. */
export interface ReplyQueue {
  enqueueReply(message: OutgoingMessage, opts?: { dedupeKey?: string }): Promise<void>;
}

/** The `runbooks` queue as the use-cases see it. */
export interface RunbookQueue {
  /** Enqueue once per `jobId` (derived from the source event); returns whether it was new. */
  enqueueRunbook(jobId: string, data: RunbookJobData): Promise<{ id: string; created: boolean }>;
  /** A parent job that runs once all its children have run (a BullMQ flow); enqueued once per `jobId`. */
  enqueueFlow(jobId: string, data: RunbookJobData, children: Array<{ jobId: string; data: RunbookJobData }>): Promise<{ id: string; created: boolean }>;
  getJob(jobId: string): Promise<JobView | undefined>;
  /** Most recent first. */
  listJobs(filter: { roomId?: string; limit: number }): Promise<JobView[]>;
}

/** Injectable clock (tests control time). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Minimal structured logger (pino-compatible) so core and app do not depend on pino. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** One runbook job as the queue hands it to the use-case. */
export interface RunbookJobInfo {
  id: string;
  data: RunbookJobData;
  /** True when no retry will follow a failure (last attempt, or a job that runs once). */
  finalAttempt: boolean;
  signal: AbortSignal;
  /** Reports progress to the queue (a fraction 0..1). */
  reportProgress?: (fraction: number) => Promise<void>;
  /** For a flow's parent: what its children returned (a failed child is absent). */
  childResults?: JobResult[];
}
