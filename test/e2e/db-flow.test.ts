import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';
import { PG_URL } from '../support/pg-victim.js';

describe('db health of a whole environment runs as a BullMQ flow', () => {
  let h: Harness;
  beforeAll(async () => {
    process.env.MEDIC_FLOW_MAIN_URL = PG_URL;
    process.env.MEDIC_FLOW_REPORTS_URL = PG_URL.replace(/\/[^/]*$/, '/test');
    h = await startHarness({
      configYaml: `
environments:
  lab:
    databases:
      main: { urlEnv: MEDIC_FLOW_MAIN_URL }
      reports: { urlEnv: MEDIC_FLOW_REPORTS_URL }
      gone: { urlEnv: MEDIC_FLOW_UNSET_URL }
access:
  - { who: alice@example.com, role: viewer }
`,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('checks each database in its own child job and posts one summary in the thread', async () => {
    const ask = await h.space.userSays('alice@example.com', 'db health lab');
    const summary = await h.space.waitForMessage((m) => m.parentId === ask.id && m.personId === h.space.bot.id && /main|reports|gone/.test(cardText(cardOf(m))) && !/Working on it/.test(m.text ?? ''), 60_000);
    expectValidCard({ card: cardOf(summary), text: summary.text ?? '' });
    const text = cardText(cardOf(summary));
    for (const db of ['main', 'reports', 'gone']) expect(text).toContain(db);
    expect(text).toMatch(/MEDIC\\?_FLOW\\?_UNSET\\?_URL/); // card markdown escapes the underscores

    const jobs = await h.medic.queues.runbooks.getJobs(['completed']);
    const dbJobs = jobs.filter((j) => j.data.request.kind === 'db.health');
    const parent = dbJobs.find((j) => j.data.fanOut)!;
    const children = dbJobs.filter((j) => !j.data.fanOut);
    expect(children.map((c) => (c.data.request as { db?: string }).db).sort()).toEqual(['gone', 'main', 'reports']);
    for (const c of children) {
      expect(c.parentKey).toContain(parent.id!);
      expect(c.data.replyTo).toBeUndefined();
      expect(c.finishedOn!).toBeLessThanOrEqual(parent.processedOn!);
    }
    // Only the parent answered in the thread (the "working on it" note and the summary, then the report file).
    const fromBot = h.space.messages({ fromBot: true }).filter((m) => m.parentId === ask.id);
    expect(fromBot.filter((m) => cardOf(m) && /Database|db health|main/.test(cardText(cardOf(m))) && !/Working on it/.test(m.text ?? ''))).toHaveLength(1);
  }, 90_000);
});
