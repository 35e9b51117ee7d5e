import type { JobKind } from '../core/jobs.js';
import type { Runbook } from '../core/runbook.js';
import { runDbHealth } from './db/db-health.js';
import { runDbCancel, runDbKill } from './db/db-signal.js';
import { runPing } from './system/ping.js';
import { runHealthCheck } from './health/health-check.js';
import { runJvmThreads } from './jvm/threads.js';
import { runJvmHeap } from './jvm/heap.js';
import { runJvmHeapAnalyze } from './jvm/heap-analyze.js';
import { runJvmOom } from './jvm/oom.js';
import { runDiskCheck } from './disk/disk-check.js';
import { runDiskCleanup } from './disk/disk-cleanup.js';

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
};
