import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigFile } from '../../src/config.js';

const token = 'T'.repeat(40);

function problems(env: Record<string, string>, file?: string): string[] {
  try {
    loadConfig(env, () => {
      if (file === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return file;
    });
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
}

describe('configuration', () => {
  it('uses defaults from the architecture contract', () => {
    const c = loadConfig({ WEBEX_TOKEN: token });
    expect(c.env.PORT).toBe(3000);
    expect(c.env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.env.MEDIC_ROLE).toBe('all');
    expect(c.file.environments).toEqual({});
  });

  it('reports every problem at once, each with its name', () => {
    const p = problems({ PORT: 'eighty', REDIS_URL: 'localhost:6379', MEDIC_ROLE: 'boss', WEBEX_WEBHOOK_URL: 'https://bot.example.com/webex' });
    expect(p.join('\n')).toMatch(/PORT/);
    expect(p.join('\n')).toMatch(/REDIS_URL: must start with redis:\/\//);
    expect(p.join('\n')).toMatch(/MEDIC_ROLE/);
    expect(p.length).toBeGreaterThanOrEqual(3);
  });

  it('asks for a token on the web role and a secret with a webhook URL, with how to fix it', () => {
    const p = problems({ WEBEX_WEBHOOK_URL: 'https://bot.example.com/webex' });
    expect(p).toContainEqual(expect.stringMatching(/^WEBEX_TOKEN: required .*npm run demo/));
    expect(p).toContainEqual(expect.stringMatching(/^WEBEX_WEBHOOK_SECRET: required when WEBEX_WEBHOOK_URL is set/));
    expect(problems({ MEDIC_ROLE: 'worker' })).toEqual([]);
  });

  it('names the file and the path of each problem in it', () => {
    const p = problems(
      { WEBEX_TOKEN: token, MEDIC_CONFIG: '/etc/medic.yaml' },
      `environments:
  acme-prod:
    tiers:
      app:
        targets: { instanceIds: ["i-123; reboot"] }
access:
  - { who: alice@example.com, role: superuser }
  - { who: bob@example.com, role: viewer, envs: [nowhere] }
`,
    );
    expect(p).toContainEqual(expect.stringMatching(/^\/etc\/medic.yaml: environments.acme-prod.tiers.app.targets/));
    expect(p).toContainEqual(expect.stringMatching(/^\/etc\/medic.yaml: access.0.role/));
  });

  it('reports references to unknown environments', () => {
    const p = problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml' }, 'environments: { demo: {} }\naccess:\n  - { who: a@b.c, role: viewer, envs: [nowhere] }\n');
    expect(p).toEqual(['access.0.envs.0: no environment named `nowhere` (known: demo)']);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseConfigFile('environments:\n  demo: [unclosed\n', 'medic.yaml');
    expect(r.problems[0]).toMatch(/^medic.yaml: not valid YAML \(line \d+/);
  });

  it('reports an unreadable file', () => {
    expect(problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: '/nope.yaml' })).toEqual(['MEDIC_CONFIG: cannot read /nope.yaml: ENOENT']);
  });

  it('refuses unknown keys, so typos do not pass silently', () => {
    const p = problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml' }, 'enviroments: {}\n');
    expect(p.join('\n')).toMatch(/enviroments|Unrecognized key/);
  });
});
