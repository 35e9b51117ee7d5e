import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSpace, type LocalSpace } from '../../src/local-space/local-space.js';
import { createLogger } from '../../src/logger.js';
import { createMedicQueues, createQueuePorts, type MedicQueues, type ReplyJobData } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { replyRetryDelayMs, startRepliesWorker } from '../../src/queue/workers.js';
import { createWebexChat } from '../../src/transport/webex/webex-rest.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';

describe('the replies queue posts in the order replies were queued', () => {
  let space: LocalSpace;
  let producer: Redis;
  let conn: Redis;
  let queues: MedicQueues;
  let worker: Worker<ReplyJobData, { id: string }> | undefined;
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    space = await createLocalSpace();
    producer = createRedis(REDIS_URL, 'producer');
    conn = createRedis(REDIS_URL, 'worker');
    queues = createMedicQueues(producer, prefix);
  });
  afterEach(async () => {
    await worker?.close();
    await queues.close();
    await space.close();
    producer.disconnect();
    conn.disconnect();
    await cleanPrefix(prefix);
  });

  it('retries a reply that met a Webex 5xx before posting the next one, so a thread keeps its order', async () => {
    const ask = await space.userSays('alice@example.com', 'db cancel lab/main 42');
    const thread = { roomId: ask.roomId, parentId: ask.id };
    const ports = createQueuePorts(queues, producer);
    // Both queued before any worker runs, as a decision and a late press answered a moment apart.
    await ports.enqueueReply({ ...thread, text: '✅ Approved by bob@example.com.' });
    await ports.enqueueReply({ ...thread, text: 'ℹ️ dave@example.com: this request was already approved by bob@example.com.' });
    space.injectFault({ method: 'POST', path: '/v1/messages', status: 503, times: 1 });
    const chat = createWebexChat({ apiUrl: space.hydraUrl, token: space.botToken });
    worker = startRepliesWorker({ connection: conn, prefix, log: createLogger('silent'), chat, queues });

    const fromBot = (m: { personId: string; parentId?: string }) => m.personId === space.bot.id && m.parentId === ask.id;
    await space.waitForMessage((m) => fromBot(m) && /already approved/.test(m.text ?? ''), 15_000);
    await space.waitForMessage((m) => fromBot(m) && /Approved by/.test(m.text ?? ''), 15_000);
    const posted = space.messages({ fromBot: true }).filter(fromBot).map((m) => m.text);
    expect(posted).toEqual(['✅ Approved by bob@example.com.', 'ℹ️ dave@example.com: this request was already approved by bob@example.com.']);
    // The refused first try counted: one 503, then both posted.
    expect(space.calls.filter((c) => c === 'POST /v1/messages')).toHaveLength(3);
  });

  it('gives a reply up after its attempts, visibly failed, and goes on with the next', async () => {
    const ask = await space.userSays('alice@example.com', 'ping');
    const thread = { roomId: ask.roomId, parentId: ask.id };
    const doomed = await queues.replies.add('reply', { ...thread, text: 'never posted' }, { attempts: 2 });
    await queues.replies.add('reply', { ...thread, text: 'posted after' });
    space.injectFault({ method: 'POST', path: '/v1/messages', status: 502, times: 2 });
    const chat = createWebexChat({ apiUrl: space.hydraUrl, token: space.botToken });
    worker = startRepliesWorker({ connection: conn, prefix, log: createLogger('silent'), chat, queues });
    await space.waitForMessage((m) => m.parentId === ask.id && m.text === 'posted after', 15_000);
    const job = (await queues.replies.getJob(doomed.id!))!;
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/^gave up after 2 tries: Webex error 502/);
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s between tries', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(replyRetryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
