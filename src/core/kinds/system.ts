import type { ResultBase } from '../result.js';

/** `ping`: a round trip through the whole pipeline. */
export interface PingRequest {
  kind: 'system.ping';
  /** When the message reached Medic (ms since epoch). */
  receivedAt: number;
}

export interface PingResult extends ResultBase {
  kind: 'system.ping';
  receivedAt: number;
  startedAt: number;
  finishedAt: number;
  /** Which worker process took the job (host:pid). */
  worker: string;
  /** ms from receipt to the runbook starting, i.e. time spent in queues. */
  queuedMs: number;
}
