import type { Command } from '../../commands/command.js';
import type { ApprovalStore, AuditLog, BudgetStore, JobControl, Scheduler } from '../core/approval.js';
import type { Clock, Logger, ReplyQueue, RunbookQueue } from '../core/ports.js';
import type { PreflightPort } from '../core/runbook.js';
import type { AccessConfig } from './access.js';

/** Approval and budget settings from the config file. */
export interface PolicyConfig {
  expiryMinutes: number;
  prodDestructiveApprovers: number;
  budgets: Array<{ kind: string; per: 'target' | 'env'; max: number; windowMinutes: number }>;
}

/** What the use-cases need from the world, wired by main.ts (or by tests with real Redis). */
export interface AppDeps {
  commands: readonly Command[];
  config: AccessConfig;
  policy: PolicyConfig;
  runbooks: RunbookQueue;
  replies: ReplyQueue;
  approvals: ApprovalStore;
  budgets: BudgetStore;
  audit: AuditLog;
  jobs: JobControl;
  scheduler: Scheduler;
  clock: Clock;
  log: Logger;
  /**
   * Read-only look at a request's target before approval (does the PostgreSQL backend exist, what does it run):
   * refuses what cannot work and describes the rest for the approval card. Absent: no pre-approval lookups.
   */
  preflight?: PreflightPort;
}
