/** Per-target locks: one job at a time on an instance, JVM, database or cluster (implemented in src/queue). */

export interface LockOwner {
  jobId: string;
  requestedBy: string;
}

export interface LockHolder extends LockOwner {
  /** The target key that was already held. */
  key: string;
  token?: number;
}

export interface HeldLock {
  ok: true;
  /** Fencing token: strictly increasing across all acquisitions under this prefix. */
  token: number;
  /** Extends the TTL of every key; false when any key is no longer ours (expired, taken over). */
  renew(): Promise<boolean>;
  /** Deletes the keys still ours; a key someone else holds now is left alone. */
  release(): Promise<void>;
}

export type AcquireResult = HeldLock | { ok: false; holder: LockHolder };

export interface TargetLocks {
  acquire(keys: string[], owner: LockOwner): Promise<AcquireResult>;
  holderOf(key: string): Promise<LockHolder | null>;
}

/** Thrown when a job's targets are held by another job: the job waits in the queue (delayed), it does not spin. */
export class TargetBusyError extends Error {
  override readonly name = 'TargetBusyError';
  constructor(readonly holder: LockHolder) {
    super(`${holder.key} is held by job ${holder.jobId} (requested by ${holder.requestedBy})`);
  }
}
