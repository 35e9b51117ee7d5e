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
    const decided = await h.space.waitForMessage(fromBotIn(ask.id, (m) => /Approved by bob@example.com/.test(m.text ?? '')));
    // The decision follows the approval card in its thread: outcome, who, when.
    expectValidCard({ card: cardOf(decided), text: decided.text ?? '' });
    expect(cardText(cardOf(decided))).toMatch(/Approved[\s\S]*Approved by[\s\S]*bob@example.com[\s\S]*When[\s\S]*UTC/);
    expect(await victim.outcome).toBe('57014'); // query_canceled: the job really ran
    // The job's own result follows in the same thread.
    const result = await h.space.waitForMessage(fromBotIn(ask.id, (m) => !!cardOf(m) && !/Approv|asked for this/.test(m.text ?? '') && m.id !== cardMsg.id));
    expectValidCard({ card: cardOf(result), text: result.text ?? '' });

    // A replayed press changes nothing and is answered politely.
    await h.space.userSubmitsCard('bob@example.com', cardMsg.id, approve);
    const replay = await h.space.waitForMessage(fromBotIn(ask.id, (m) => /already approved/.test(m.text ?? '')));
    const entries = await h.medic.queues.runbooks.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    expect(entries.filter((j) => j.data.request.kind === 'db.cancel')).toHaveLength(1);
    // The thread reads in the order things happened: the decision before any answer to a later press.
    const thread = h.space.messages({ fromBot: true }).filter((m) => m.parentId === ask.id).map((m) => m.id);
    expect(thread.indexOf(decided.id)).toBeLessThan(thread.indexOf(replay.id));
    // Replies go out one at a time across replicas, so that order holds with several web processes too.
    expect(await h.medic.queues.replies.getGlobalConcurrency()).toBe(1);
  }, 120_000);
});

describe('an approval nobody decides expires on time, says so in its thread, and refuses a late press', () => {
  let h: Harness;
  let victim: PgVictim;
  beforeAll(async () => {
    process.env.MEDIC_E2E_LAB_DB_URL = PG_URL;
    // 0.05 min = 3 s: the expiry is real (a delayed BullMQ job), just short.
    h = await startHarness({ configYaml: `${CONFIG.replace('role: approver', 'role: admin')}approvals: { expiryMinutes: 0.05 }\n` });
    // A real running statement: `db cancel` of a pid with no session is refused before any approval card.
    victim = await startPgVictim('medic-e2e-expiry-victim');
  });
  afterAll(async () => {
    await victim?.end();
    await h?.stop();
  });

  it('posts the expiry, answers Approve pressed afterwards, and `audit` shows the refusal with its reason', async () => {
    const fromBotIn = (parent: string, pred: (m: Message) => boolean) => (m: Message) => m.personId === h.space.bot.id && m.parentId === parent && pred(m);
    const ask = await h.space.userSays('alice@example.com', `db cancel lab/main ${victim.pid} because stuck report`);
    const cardMsg = await h.space.waitForMessage(fromBotIn(ask.id, (m) => /Approval needed/.test(m.text ?? '')));
    const approve = (cardOf(cardMsg) as { actions: Array<{ title: string; data: Record<string, string> }> }).actions.find((a) => a.title === 'Approve')!.data;

    const expired = await h.space.waitForMessage(fromBotIn(ask.id, (m) => /expired and nothing ran/.test(m.text ?? '')), 20_000);
    expectValidCard({ card: cardOf(expired), text: expired.text ?? '' });
    expect(cardText(cardOf(expired))).toMatch(new RegExp(`Expired[\\s\\S]*db cancel lab/main ${victim.pid}[\\s\\S]*Expired at`));

    await h.space.userSubmitsCard('bob@example.com', cardMsg.id, approve);
    await h.space.waitForMessage(fromBotIn(ask.id, (m) => /bob@example.com: this request was already expired/.test(m.text ?? '')));
    expect(await h.medic.queues.runbooks.count()).toBe(0);

    const { reply } = await h.ask('bob@example.com', 'audit');
    const shown = cardText(cardOf(reply));
    expect(shown).toMatch(/approval-refused\s+bob@example.com\s+lab\s+\S+\s+approve: after expiry/);
    expect(shown).toMatch(/approval-closed\s+medic\s+lab\s+\S+\s+expired/);
  }, 60_000);
});
