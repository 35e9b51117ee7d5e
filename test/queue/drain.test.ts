import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRequeuedError } from '../../src/core/errors.js';
import type { JobResult, RunbookJobData } from '../../src/core/jobs.js';
import type { Logger, RunbookJobInfo } from '../../src/core/ports.js';
import { drainWorkers } from '../../src/queue/drain.js';
import { createMedicQueues, type MedicQueues } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { startRunbooksWorker } from '../../src/queue/workers.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';
import { redisProxy } from '../support/redis-proxy.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

const data = (origin: string): RunbookJobData => ({ request: { kind: 'system.ping', receivedAt: Date.now() }, actor: { type: 'person', email: 'alice@example.com' }, risk: 'read', origin });
const pong = (worker: string): JobResult => ({ kind: 'system.ping', summary: 'pong', worker }) as unknown as JobResult;

/** A processor whose jobs run until the test releases them, or until their signal is aborted. */
function controlledRun() {
  const started = new Map<string, (info: RunbookJobInfo) => void>();
  const release = new Map<string, () => void>();
  const abortReasons = new Map<string, unknown>();
  return {
    abortReasons,
    whenStarted(id: string): Promise<RunbookJobInfo> {
      return new Promise((r) => started.set(id, r));
    },
    release(id: string) {
      release.get(id)?.();
    },
    run: async (info: RunbookJobInfo): Promise<JobResult> => {
      const ended = new Promise<void>((r) => release.set(info.id, r));
      started.get(info.id)?.(info);
      const aborted = new Promise<void>((r) => info.signal.addEventListener('abort', () => r(), { once: true }));
      await Promise.race([ended, aborted]);
      if (info.signal.aborted) {
        abortReasons.set(info.id, info.signal.reason);
        // As a runbook does: the executor returns, then the runbook notices the abort.
        info.signal.throwIfAborted();
      }
      return pong('first');
    },
  };
}

describe('draining the runbooks worker at shutdown', () => {
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  const producer = createRedis(REDIS_URL, 'producer');
  const connection = createRedis(REDIS_URL, 'worker');
  let queues: MedicQueues;

  beforeAll(() => {
    queues = createMedicQueues(producer, prefix);
  });
  afterAll(async () => {
    await queues.close();
    producer.disconnect();
    connection.disconnect();
    await cleanPrefix(prefix);
  });

  it('lets a job that ends within the grace finish and complete', async () => {
    const ctl = controlledRun();
    const worker = startRunbooksWorker({ connection, prefix, log: silent, run: ctl.run });
    const started = ctl.whenStarted('quick-1');
    await queues.runbooks.add('system.ping', data('quick'), { jobId: 'quick-1' });
    await started;
    const drain = drainWorkers([worker as unknown as Worker], { graceMs: 60_000, log: silent });
    ctl.release('quick-1');
    expect(await drain).toEqual({ drained: true, handedBack: [] });
    const job = await queues.runbooks.getJob('quick-1');
    expect(await job!.getState()).toBe('completed');
    expect(job!.returnvalue).toMatchObject({ summary: 'pong' });
  });

  it('hands a job still running when the grace ends back to the queue, where another worker runs it', async () => {
    const ctl = controlledRun();
    const worker = startRunbooksWorker({ connection, prefix, log: silent, run: ctl.run });
    const failed: string[] = [];
    worker.on('failed', (job) => failed.push(job!.id!));
    const started = ctl.whenStarted('slow-1');
    await queues.runbooks.add('system.ping', data('slow'), { jobId: 'slow-1' });
    await started;

    const outcome = await drainWorkers([worker as unknown as Worker], { graceMs: 300, log: silent });
    expect(outcome).toEqual({ drained: false, handedBack: ['slow-1'] });
    expect(ctl.abortReasons.get('slow-1')).toBeInstanceOf(JobRequeuedError);
    const job = await queues.runbooks.getJob('slow-1');
    expect(await job!.getState()).toBe('waiting');
    // Neither a failure nor a used attempt: the job starts over as if it had never been picked up.
    expect(failed).toEqual([]);
    expect(job!.attemptsMade).toBe(0);
    expect(job!.failedReason).toBeFalsy();

    const next = startRunbooksWorker({ connection, prefix, log: silent, run: async () => pong('second') });
    try {
      const [done] = (await once(next, 'completed')) as [{ id: string; returnvalue: unknown }];
      expect(done.id).toBe('slow-1');
      expect(done.returnvalue).toMatchObject({ worker: 'second' });
    } finally {
      await next.close();
    }
  });

  it('does not wait out the grace for an idle worker whose close() hangs after a Redis blip (BullMQ #4656)', async () => {
    const proxy = await redisProxy();
    const conn = createRedis(`redis://127.0.0.1:${proxy.port}`, 'worker');
    conn.on('error', () => {});
    const worker = startRunbooksWorker({ connection: conn, prefix, log: silent, run: async () => pong('idle') });
    try {
      await worker.waitUntilReady();
      await proxy.down();
      // A few failed reconnects: the blocking client now waits, in `reconnecting`, for its next retry.
      let errors = 0;
      await new Promise<void>((resolve) => worker.on('error', () => ++errors === 3 && resolve()));
      await proxy.up();
      const outcome = await Promise.race([
        drainWorkers([worker as unknown as Worker], { graceMs: 120_000, log: silent, idleCloseMs: 500 }),
        new Promise((r) => setTimeout(() => r('still waiting after 30 s'), 30_000).unref()),
      ]);
      expect(outcome).toEqual({ drained: true, handedBack: [] });
    } finally {
      conn.disconnect();
      await proxy.close();
    }
  });
});
