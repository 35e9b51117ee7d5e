import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startPgVictim, type PgVictim } from '../support/pg-victim.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';
import type { Message } from '../../src/local-space/local-space.js';


const CONFIG = `
environments:
  lab:
    databases: { main: { urlEnv: MEDIC_E2E_LAB_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
`;

describe('a risky command waits for a second person, across a restart of the bot', () => {
  let h: Harness;
  let victim: PgVictim;
  beforeAll(async () => {
    process.env.MEDIC_E2E_LAB_DB_URL = PG_URL;
    h = await startHarness({ configYaml: CONFIG });
    victim = await startPgVictim('medic-e2e-victim');
  });
  afterAll(async () => {
    await victim?.end();
    await h?.stop();
  });

  const fromBotIn = (parent: string, pred: (m: Message) => boolean = () => true) => (m: Message) => m.personId === h.space.bot.id && m.parentId === parent && pred(m);

  it('asks, survives a restart, refuses the requester, runs on the approver’s press, and answers in the thread', async () => {
    const ask = await h.space.userSays('alice@example.com', `db cancel lab/main ${victim.pid} because the report runs away`);
    const cardMsg = await h.space.waitForMessage(fromBotIn(ask.id, (m) => cardText(cardOf(m)).includes('Approval needed')));
    const card = cardOf(cardMsg) as { actions: Array<{ title: string; data: Record<string, string> }> };
    expectValidCard({ card, text: cardMsg.text ?? '' });
    expect(cardText(card)).toContain(String(victim.pid));
    const approve = card.actions.find((a) => a.title === 'Approve')!.data;

    await h.restart();

    await h.space.userSubmitsCard('alice@example.com', cardMsg.id, approve);
    await h.space.waitForMessage(fromBotIn(ask.id, (m) => /you asked for this/.test(m.text ?? '')));

    await h.space.userSubmitsCard('bob@example.com', cardMsg.id, approve);
    await h.space.waitForMessage(fromBotIn(ask.id, (m) => /Approved by bob@example.com/.test(m.text ?? '')));
    expect(await victim.outcome).toBe('57014'); // query_canceled: the job really ran
    // The job's own result follows in the same thread.
    const result = await h.space.waitForMessage(fromBotIn(ask.id, (m) => !!cardOf(m) && !/Approv|asked for this/.test(m.text ?? '') && m.id !== cardMsg.id));
    expectValidCard({ card: cardOf(result), text: result.text ?? '' });

    // A replayed press changes nothing and is answered politely.
    await h.space.userSubmitsCard('bob@example.com', cardMsg.id, approve);
    await h.space.waitForMessage(fromBotIn(ask.id, (m) => /already approved/.test(m.text ?? '')));
    const entries = await h.medic.queues.runbooks.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    expect(entries.filter((j) => j.data.request.kind === 'db.cancel')).toHaveLength(1);
  }, 120_000);
});
