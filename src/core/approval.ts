import type { Role, Risk } from './identity.js';
import type { RunbookJobData } from './jobs.js';
import type { RequestPreview } from './runbook.js';

/** A risky request waiting for a second person. Lives in Redis, so it survives restarts of the bot. */
export interface ApprovalRecord {
  id: string;
  /** The job that runs once approved (its id derives from the source event). */
  jobId: string;
  data: RunbookJobData;
  /** Hash of the fully resolved job: what the approver sees is what runs. */
  hash: string;
  /** Email of the person (or name of the route) who asked. */
  requester: string;
  risk: Risk;
  env?: string;
  /** Command text, re-planned at decision time to detect targets that resolve differently now. */
  commandText: string;
  /** Role an approver needs in the environment. */
  approverRole: Role;
  /** Distinct approvals needed (two for destructive actions in prod when configured). */
  needed: number;
  approvals: string[];
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'superseded';
  createdAt: number;
  expiresAt: number;
  reason?: string;
  decidedBy?: string;
  /** When the request left `pending` (decided, expired, withdrawn, superseded). */
  decidedAt?: number;
  /** Source event (card action id) of the press that decided it: a retry of that press resumes, not refuses. */
  decidedVia?: string;
  decisionNote?: string;
  /** Why an approval was needed beyond the risk, e.g. an exhausted budget. */
  why?: string;
  /** What Medic looked up before asking (the backend a `db kill` would end...), shown in words on the card. */
  preview?: RequestPreview;
}

export type DecisionOutcome =
  | 'approved' // the last needed approval: run it
  | 'recorded' // one approval of several
  | 'rejected'
  | 'self' // the requester tried to decide
  | 'duplicate' // the same approver again
  | 'expired'
  | 'not-pending' // someone else decided first, or it was cancelled
  | 'missing';

export interface ApprovalStore {
  create(rec: ApprovalRecord): Promise<void>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Atomic: the first decision wins; a stale or replayed press changes nothing. */
  decide(id: string, d: { by: string; decision: 'approve' | 'reject'; now: number; note?: string; via?: string }): Promise<{ outcome: DecisionOutcome; record?: ApprovalRecord }>;
  /** Moves a pending record to a final status (expired, cancelled, superseded) if it is still pending. */
  close(id: string, status: 'expired' | 'cancelled' | 'superseded', by: string | undefined, now: number): Promise<ApprovalRecord | undefined>;
  listPending(): Promise<ApprovalRecord[]>;
  /** The pending approval of a job, if any. */
  findByJob(jobId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Marks the outcome of a closed request as told in its thread (the decision card is enqueued). Answers to later
   * presses wait for it, so "already approved" never reaches the thread before "Approved".
   */
  announce(id: string): Promise<void>;
  /**
   * Waits until the outcome is announced, at most `timeoutMs` (the decider may have died mid-way); true when it
   * was. Returns at once when it already was, or when the request closed longer than `timeoutMs` ago.
   */
  awaitAnnouncement(id: string, timeoutMs: number, now: number): Promise<boolean>;
}

/** A budget: at most `max` runs per key within `windowMs`. */
export interface BudgetRule {
  key: string;
  max: number;
  windowMs: number;
  /** Shown to people: "1 JVM restart per instance per 2 h". */
  label: string;
}

export interface BudgetStore {
  /** Atomically checks every rule and, when none is spent, records the run under each. */
  consume(rules: BudgetRule[], run: { jobId: string; at: number }): Promise<{ ok: true } | { ok: false; rule: BudgetRule; recent: Array<{ jobId: string; at: number }> }>;
  /** Whether the rules would allow a run now, without recording one. */
  peek(rules: BudgetRule[], now: number): Promise<{ ok: true } | { ok: false; rule: BudgetRule; recent: Array<{ jobId: string; at: number }> }>;
}

/** One line of the append-only audit trail. */
export interface AuditEntry {
  at: number;
  type: 'request' | 'refused' | 'approval-requested' | 'approval-decision' | 'approval-refused' | 'approval-closed' | 'job-enqueued' | 'job-start' | 'job-end' | 'command' | 'cancel';
  actor: string;
  env?: string;
  jobId?: string;
  approvalId?: string;
  roomId?: string;
  /** Free text: the request, the decision, the result summary, an SSM command id. */
  detail: string;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  read(filter: { sinceMs?: number; env?: string; limit: number }): Promise<AuditEntry[]>;
}

/** Stops queued or running jobs across every worker process. */
export interface JobControl {
  cancel(jobId: string, by: string): Promise<'removed' | 'signalled' | 'finished' | 'not-found'>;
}

/** Delayed work the app needs done later, even across restarts (approval expiry). */
export interface Scheduler {
  expireApprovalAt(approvalId: string, at: number): Promise<void>;
}
