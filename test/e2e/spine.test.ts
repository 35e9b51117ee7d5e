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
});
