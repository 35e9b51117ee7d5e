import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createAnalysisQueue, createFollowUpPort } from '../../src/queue/analysis.js';
import { createMedicQueues, createQueuePorts, indexJobInRoom } from '../../src/queue/queues.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';

describe('follow-up jobs on the analysis queue', () => {
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  const queues = createMedicQueues(redis, prefix);
  const analysis = createAnalysisQueue(redis, prefix);
  afterAll(async () => {
    await analysis.close();
    await queues.close();
    await cleanPrefix(prefix);
    redis.disconnect();
  });

  it('inherit the thread of the job that asked, and are found by `job` and listed by `jobs` in that space', async () => {
    const ports = createQueuePorts(queues, redis, [analysis]);
    const replyTo = { roomId: 'room-x', parentId: 'msg-x' };
    await ports.enqueueRunbook('r-parent', { request: { kind: 'system.ping', receivedAt: 1 }, actor: { type: 'person', email: 'alice@example.com' }, replyTo, risk: 'change', origin: 'jvm heap demo this-host', env: 'demo' });
    const followUp = createFollowUpPort({ runbooks: queues.runbooks, analysis }, (jobId, data) => indexJobInRoom(redis, prefix, jobId, data));
    const id = await followUp({ parentJobId: 'r-parent', request: { kind: 'system.ping', receivedAt: 2 }, summary: 'analysis of the dump' });
    expect(id).toBe('r-parent-analysis');
    const job = await analysis.getJob(id);
    expect(job!.data).toMatchObject({ replyTo, risk: 'read', env: 'demo', actor: { email: 'alice@example.com' } });
    expect((await ports.getJob(id))!.origin).toBe('analysis of the dump');
    expect((await ports.listJobs({ roomId: 'room-x', limit: 10 })).map((v) => v.id)).toEqual(['r-parent-analysis', 'r-parent']);
  });
});
