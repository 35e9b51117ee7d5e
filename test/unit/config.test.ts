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

describe('alert tokens per source', () => {
  const file = 'alerts:\n  sources:\n    datadog: { tokenEnv: DATADOG_ALERT_TOKEN }\n    alertmanager: { tokenEnv: AM_ALERT_TOKEN }\n';
  const dd = 'd'.repeat(32);
  const am = 'a'.repeat(32);
  const fallback = 'f'.repeat(32);
  const load = (env: Record<string, string>, text = file) => loadConfig({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml', ...env }, () => text);

  it('reads each listed source\'s token from the variable it names, MEDIC_ALERT_TOKEN for the others', () => {
    expect(load({ DATADOG_ALERT_TOKEN: dd, AM_ALERT_TOKEN: am, MEDIC_ALERT_TOKEN: fallback }).alertTokens).toEqual({ datadog: dd, alertmanager: am, generic: fallback });
    expect(load({ DATADOG_ALERT_TOKEN: dd, AM_ALERT_TOKEN: am }).alertTokens).toEqual({ datadog: dd, alertmanager: am });
    expect(loadConfig({ WEBEX_TOKEN: token, MEDIC_ALERT_TOKEN: fallback }).alertTokens).toEqual({ datadog: fallback, alertmanager: fallback, generic: fallback });
  });

  it('names a variable that is unset or too short', () => {
    expect(problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml', AM_ALERT_TOKEN: 'short' }, file)).toEqual([
      'alerts.sources.datadog.tokenEnv: the environment variable DATADOG_ALERT_TOKEN is not set (the bearer token datadog sends; e.g. `openssl rand -hex 32`)',
      'AM_ALERT_TOKEN: the alertmanager alert token is 5 characters; use at least 16 random characters',
    ]);
  });

  it('does not ask the worker role (and the CLI) for alert tokens: only the web role serves /alerts/*', () => {
    expect(problems({ MEDIC_ROLE: 'worker', MEDIC_CONFIG: 'x.yaml' }, file)).toEqual([]);
  });

  it('refuses a listed source sharing its token with another source', () => {
    expect(problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml', DATADOG_ALERT_TOKEN: dd, AM_ALERT_TOKEN: am, MEDIC_ALERT_TOKEN: dd }, file)).toEqual([
      'alerts.sources.datadog: its token (DATADOG_ALERT_TOKEN) is the same as the generic token (MEDIC_ALERT_TOKEN); give each source its own token',
    ]);
  });

  it('refuses sns and unknown sources by name (SNS is verified by signature)', () => {
    const p = problems({ WEBEX_TOKEN: token, MEDIC_CONFIG: 'x.yaml' }, 'alerts:\n  sources:\n    sns: { tokenEnv: SNS_TOKEN }\n');
    expect(p.join('\n')).toMatch(/alerts\.sources.*sns/);
  });
});
