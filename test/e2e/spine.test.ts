import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';

describe('a Webex message becomes a job and comes back as a card', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers help with a card listing the commands, in the thread of the request', async () => {
    const { request, reply } = await h.ask('alice@example.com', 'help');
    expect(reply.parentId).toBe(request.id);
    expect(reply.roomId).toBe(request.roomId);
    const card = cardOf(reply);
    expectValidCard({ card, text: reply.markdown ?? reply.text ?? '' });
    const text = cardText(card);
    expect(text).toContain('ping');
    expect(text).toContain('jobs');
  });

  it('answers ping through the runbooks queue with the worker that took it', async () => {
    const { reply } = await h.ask('alice@example.com', 'ping');
    const text = cardText(cardOf(reply));
    expect(text).toContain('pong');
    expect(text).toMatch(/Worker: .+:\d+/);
  });

  it('shows a job and lists the jobs of the space', async () => {
    const { reply: pong } = await h.ask('alice@example.com', 'ping');
    const jobId = /Job: (r-[A-Za-z0-9]+)/.exec(cardText(cardOf(pong)))![1]!;
    const { reply } = await h.ask('alice@example.com', `job ${jobId}`);
    const text = cardText(cardOf(reply));
    expect(text).toContain(jobId);
    expect(text).toMatch(/completed/);
    expect(text).toContain('alice@example.com');
    const { reply: list } = await h.ask('bob@example.com', 'jobs');
    expect(cardText(cardOf(list))).toContain(jobId);
  });

  it('answers an unknown command with the closest one, and a refusal with who can', async () => {
    const { reply } = await h.ask('alice@example.com', 'pnig');
    expect(cardText(cardOf(reply))).toMatch(/Did you mean `ping`/);
    const { reply: refused } = await h.ask('alice@example.com', 'audit');
    expect(cardText(cardOf(refused))).toMatch(/needs the admin role/);
  });

  it('answers in a direct space without a mention', async () => {
    const room = h.space.rooms.direct['bob@example.com']!;
    const request = await h.space.userSays('bob@example.com', 'ping', { roomId: room.id });
    const reply = await h.space.waitForMessage((m) => m.parentId === request.id && m.personId === h.space.bot.id);
    expect(cardText(cardOf(reply))).toContain('pong');
  });
});
