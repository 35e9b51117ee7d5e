import type { JobKind, JobRequest } from '../core/jobs.js';
import type { Preflight, PreflightContext, PreflightPort, Runbook } from '../core/runbook.js';
import { runDbHealth } from './db/db-health.js';
import { previewDbCancel, previewDbKill, runDbCancel, runDbKill } from './db/db-signal.js';
import { runPing } from './system/ping.js';
import { runHealthCheck } from './health/health-check.js';
import { runJvmThreads } from './jvm/threads.js';
import { runJvmHeap } from './jvm/heap.js';
import { runJvmHeapAnalyze } from './jvm/heap-analyze.js';
import { runJvmOom } from './jvm/oom.js';
import { runDiskCheck } from './disk/disk-check.js';
import { runDiskCleanup } from './disk/disk-cleanup.js';
import { runKafkaRecover } from './kafka/recover.js';
import { runKafkaStatus } from './kafka/status.js';

/** One runbook per job kind; a kind without a runbook does not compile. */
export const RUNBOOKS: { [K in JobKind]: Runbook<K> } = {
  'system.ping': runPing,
  'health.check': runHealthCheck,
  'db.health': runDbHealth,
  'db.cancel': runDbCancel,
  'db.kill': runDbKill,
  'jvm.threads': runJvmThreads,
  'jvm.heap': runJvmHeap,
  'jvm.heap.analyze': runJvmHeapAnalyze,
  'jvm.oom': runJvmOom,
  'disk.check': runDiskCheck,
  'disk.cleanup': runDiskCleanup,
  'kafka.status': runKafkaStatus,
  'kafka.recover': runKafkaRecover,
};

/** Read-only checks run before an approval is asked for (kinds without one go straight to approval). */
export const PREFLIGHTS: { [K in JobKind]?: Preflight<K> } = {
  'db.cancel': previewDbCancel,
  'db.kill': previewDbKill,
};

/** The app's preflight port over PREFLIGHTS, with this process's services (main.ts wires it). */
export function createPreflight(ctx: Omit<PreflightContext, 'signal'>): PreflightPort {
  return async (request: JobRequest, signal?: AbortSignal) => {
    const check = PREFLIGHTS[request.kind] as Preflight<typeof request.kind> | undefined;
    return check ? check(request as never, { ...ctx, ...(signal ? { signal } : {}) }) : undefined;
  };
}
