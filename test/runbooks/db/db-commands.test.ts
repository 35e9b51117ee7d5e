import { describe, expect, it } from 'vitest';
import { dbCancel, dbHealth, dbKill } from '../../../commands/db.js';
import { COMMANDS } from '../../../commands/index.js';
import { parseCommand } from '../../../commands/parse.js';
import type { Inventory } from '../../../src/core/inventory.js';

const inventory: Inventory = {
  'acme-prod': { tags: {}, tiers: {}, logGroups: [], databases: { main: { urlEnv: 'A' }, reports: { urlEnv: 'B' } } },
  bare: { tags: {}, tiers: {}, logGroups: [], databases: {} },
};

function plan(text: string) {
  const { command, input } = parseCommand(text, COMMANDS);
  return { command, plan: command.plan({ ...input, inventory, receivedAt: 0 }) };
}

describe('db commands', () => {
  it.each([
    ['db health acme-prod/main', { kind: 'db.health', env: 'acme-prod', db: 'main' }, 'read'],
    ['db health acme-prod', { kind: 'db.health', env: 'acme-prod' }, 'read'],
    ['db cancel acme-prod/main 12345', { kind: 'db.cancel', env: 'acme-prod', db: 'main', pid: 12345 }, 'change'],
    ['db kill acme-prod/reports 7 because runaway', { kind: 'db.kill', env: 'acme-prod', db: 'reports', pid: 7 }, 'destructive'],
  ])('plans `%s`', (text, request, risk) => {
    const { plan: p } = plan(text);
    expect(p).toMatchObject({ type: 'job', request, risk, env: 'acme-prod' });
  });

  it('puts the reason into the plan summary', () => {
    expect(plan('db kill acme-prod/main 7 because it holds the lock').plan).toMatchObject({ summary: 'terminate the session of pid 7 on acme-prod/main because it holds the lock' });
  });

  it.each([
    ['db health Acme/main', /not a valid target/],
    ['db health acme-prod/main;rm', /not a valid target/],
    ['db cancel acme-prod 12', /not a valid target/],
    ['db cancel acme-prod/main 0', /not a valid pid/],
    ['db cancel acme-prod/main 12a', /not a valid pid/],
    ['db kill acme-prod/main 99999999999', /not a valid pid/],
    ['db kill acme-prod/main 2147483648', /at most 2147483647/],
    ['db health acme-prod/main because why', /does not take a reason/],
    ['db health nope/main', /no environment `nope`/],
    ['db health acme-prod/nope', /no database `nope`/],
    ['db health bare', /has no databases/],
  ])('refuses `%s`', (text, message) => {
    expect(() => {
      const { command, input } = parseCommand(text, COMMANDS);
      command.plan({ ...input, inventory, receivedAt: 0 });
    }).toThrow(message);
  });

  it('lists the known databases when one is misspelt', () => {
    const { command, input } = parseCommand('db health acme-prod/mian', COMMANDS);
    expect(() => command.plan({ ...input, inventory, receivedAt: 0 })).toThrow(expect.objectContaining({ hint: 'Its databases: acme-prod/main, acme-prod/reports.' }));
  });

  it('asks viewers for health and operators for cancel and kill', () => {
    expect([dbHealth.minRole, dbCancel.minRole, dbKill.minRole]).toEqual(['viewer', 'operator', 'operator']);
    expect([dbHealth.takesReason, dbCancel.takesReason, dbKill.takesReason]).toEqual([undefined, true, true]);
  });
});
