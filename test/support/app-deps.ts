import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { COMMANDS } from '../../commands/index.js';
import type { AppDeps } from '../../src/app/app-deps.js';
import { parseConfigFile } from '../../src/config.js';
import type { OutgoingMessage } from '../../src/core/ports.js';
import { createLogger } from '../../src/logger.js';
import { createRedisApprovalStore } from '../../src/queue/approvals.js';
import { createRedisAuditLog } from '../../src/queue/audit.js';
import { createRedisBudgetStore } from '../../src/queue/budgets.js';
import { createJobControl, createScheduler } from '../../src/queue/job-control.js';
import { createMedicQueues, createQueuePorts, type MedicQueues } from '../../src/queue/queues.js';
import { cleanPrefix, REDIS_URL } from './medic-harness.js';

export interface TestApp {
  deps: AppDeps;
  queues: MedicQueues;
  /** Every reply the use-cases enqueued, in order (read back from the real replies queue). */
  replies(): Promise<OutgoingMessage[]>;
  clock: { now(): number; set(ms: number): void; advance(ms: number): void };
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

/** The use-cases wired to real Redis stores and queues on a private prefix, with a controllable clock. No workers. */
export async function createTestApp(configYaml: string): Promise<TestApp> {
  const parsed = parseConfigFile(configYaml, 'test');
  if (!parsed.file) throw new Error(parsed.problems.join('\n'));
  const file = parsed.file;
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  const queues = createMedicQueues(redis, prefix);
  const ports = createQueuePorts(queues, redis);
  let now = Date.now();
  const clock = { now: () => now, set: (ms: number) => void (now = ms), advance: (ms: number) => void (now += ms) };
  const deps: AppDeps = {
    commands: COMMANDS,
    config: { access: file.access, spaces: file.spaces, inventory: file.environments },
    policy: { ...file.approvals, budgets: file.budgets },
    runbooks: ports,
    replies: ports,
    approvals: createRedisApprovalStore(redis, prefix),
    budgets: createRedisBudgetStore(redis, prefix),
    audit: createRedisAuditLog(redis, prefix, file.audit.maxEntries),
    jobs: createJobControl(queues, redis),
    scheduler: createScheduler(queues, clock),
    clock,
    log: createLogger('silent'),
  };
  return {
    deps,
    queues,
    clock,
    redis,
    prefix,
    async replies() {
      const jobs = await queues.replies.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'], 0, -1, true);
      return jobs.sort((a, b) => a.timestamp - b.timestamp || Number(a.id) - Number(b.id)).map((j) => j.data as unknown as OutgoingMessage);
    },
    async close() {
      await queues.close();
      await cleanPrefix(prefix);
      redis.disconnect();
    },
  };
}
