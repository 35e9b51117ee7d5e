import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { parseCommand } from '../../commands/parse.js';
import { UserError } from '../../src/core/errors.js';

describe('the command grammar', () => {
  it.each([
    ['help', 'help', {}],
    ['  HELP  ', 'help', {}],
    ['help jvm', 'help', { command: 'jvm' }],
    ['ping', 'ping', {}],
    ['jobs', 'jobs', {}],
    ['job r-NggQET23Khrn', 'job', { id: 'r-NggQET23Khrn' }],
    ['health acme-prod', 'health', { env: 'acme-prod' }],
    ['db health acme-prod/main', 'db health', {}],
    ['cancel r-abc', 'cancel', { job: 'r-abc' }],
    ['audit acme-prod 50', 'audit', { env: 'acme-prod', n: 50 }],
  ])('parses %j as %s', (text, name, args) => {
    const { command, input } = parseCommand(text, COMMANDS);
    expect(command.name).toBe(name);
    expect(input.args).toMatchObject(args);
  });

  it('takes the reason after `because` for commands that accept one', () => {
    const { command, input } = parseCommand('db cancel acme-prod/main 4242 because the report runs away', COMMANDS);
    expect(command.name).toBe('db cancel');
    expect(input.reason).toBe('the report runs away');
  });

  it.each([
    ['pign', /do not know the command `pign`/, /Did you mean `ping`/],
    ['helth acme-prod', /do not know/, /`health`/],
    ['', /empty message/, /help/],
    ['job', /needs <id>/, /Usage: `job <id>`/],
    ['ping now please', /takes at most 0 arguments/, /Usage/],
    ['ping because reasons', /does not take a reason/, /Usage/],
    ['audit acme-prod 5000', /at most 200/, /Usage/],
  ])('refuses %j with a message that says what to do', (text, message, hint) => {
    try {
      parseCommand(text, COMMANDS);
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).message).toMatch(message);
      if (hint) expect((e as UserError).hint).toMatch(hint);
    }
  });

  it('refuses a message over 2000 characters', () => {
    expect(() => parseCommand('x'.repeat(2500), COMMANDS)).toThrow(/at most 2000/);
  });

  it.each(['; rm -rf /', '$(id)', '`id`', '../../etc/passwd', 'a|b', 'acme&&reboot', "o'neil"])('refuses shell metacharacters in an environment: %j', (bad) => {
    expect(() => parseCommand(`health ${bad}`, COMMANDS)).toThrow(UserError);
  });

  it('lists every command name once', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      expect(c.summary.length).toBeGreaterThan(10);
      expect(c.examples.length).toBeGreaterThan(0);
      for (const ex of c.examples) expect(() => parseCommand(ex.replace(/\.\.\.$/, ''), COMMANDS)).not.toThrow(/do not know/);
    }
  });
});

describe('whatever a person types', () => {
  it('either parses and plans, or is refused with a UserError, never anything else (2,000 seeded random messages)', () => {
    let seed = 20261126;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['help', 'ping', 'jvm', 'threads', 'heap', 'db', 'health', 'cancel', 'audit', 'because', 'acme-prod', '/', ' ', '  ', '\n', '\u200b', '$(', ';', '`', '"', "'", '*', '_', '9'.repeat(30), '-1', '0', 'é', '😀', '\u0000', '%s', '{{x}}'];
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(rnd() < 0.7 ? ' ' : '');
      try {
        const { command, input } = parseCommand(text, COMMANDS);
        parsed++;
        // Planning against an inventory that knows nothing must refuse politely too.
        command.plan({ ...input, inventory: { 'acme-prod': { tags: {}, tiers: {}, databases: {}, logGroups: [] } }, receivedAt: 0 });
      } catch (e) {
        expect(e, JSON.stringify(text)).toBeInstanceOf(UserError);
        expect((e as UserError).message.length).toBeGreaterThan(0);
      }
    }
    // The alphabet is made of real command words, so some messages must parse: the test exercises both paths.
    expect(parsed).toBeGreaterThan(20);
  });
});
