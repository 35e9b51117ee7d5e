import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/medic-harness.js';

describe('per-target locks in the runbooks worker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('serialises two jobs on one target: the second waits, delayed, and its requester is told by whom', async () => {
    const a = await h.space.userSays('alice@example.com', 'health demo');
    const b = await h.space.userSays('bob@example.com', 'health demo');
    const isResult = (parent: string) => (m: { parentId?: string; personId: string; attachments?: unknown[]; text?: string }) =>
      m.parentId === parent && m.personId === h.space.bot.id && !!m.attachments?.length && !/Working on it/.test(m.text ?? '');
    const [ra, rb] = await Promise.all([h.space.waitForMessage(isResult(a.id), 60_000), h.space.waitForMessage(isResult(b.id), 60_000)]);
    expect(ra).toBeTruthy();
    expect(rb).toBeTruthy();
    const waits = h.space.messages({ fromBot: true }).filter((m) => /is waiting for job/.test(m.text ?? ''));
    expect(waits).toHaveLength(1);
    const waiter = waits[0]!;
    // Whoever waited was told the other job's id and who asked for it.
    const otherAsker = waiter.parentId === a.id ? 'bob@example.com' : 'alice@example.com';
    expect(waiter.text).toContain(`requested by ${otherAsker}`);
    expect(waiter.text).toContain('holds local');
    // The two runs did not overlap: the waiter's result came after the other's.
    const [first, second] = waiter.parentId === a.id ? [rb, ra] : [ra, rb];
    expect(Date.parse(second.created)).toBeGreaterThanOrEqual(Date.parse(first.created));
    const runbookJobs = await h.medic.queues.runbooks.getJobs(['completed']);
    expect(runbookJobs.every((j) => j.attemptsMade <= 1)).toBe(true);
  }, 120_000);
});
