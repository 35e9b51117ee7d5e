import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { parseCommand } from '../../commands/parse.js';
import { UserError } from '../../src/core/errors.js';
import { createLocalExecutor } from '../../src/executors/local.js';
import { InvalidParametersError } from '../../src/executors/ssm/documents.js';
import { REAL_DOCUMENTS_DIR } from '../support/fake-aws/paths.js';

/** Arguments an attacker (or a slip of the keyboard) might type. */
const HOSTILE = [';rm -rf /', '$(id)', '`id`', '../../etc/passwd', 'app\nid', 'app"', "app'", 'a|b', 'a&&b', 'a>b', '${IFS}', '*', 'a;b', '$HOME', '..', 'app\\', '%0a'];

describe('shell injection: the command grammar', () => {
  it.each(HOSTILE)('refuses %j as a tier', (bad) => {
    expect(() => parseCommand(`health demo ${bad}`, COMMANDS)).toThrow(UserError);
  });

  it.each(HOSTILE.filter((b) => !b.includes('\n')))('refuses %j as an environment', (bad) => {
    expect(() => parseCommand(`health ${bad}`, COMMANDS)).toThrow(UserError);
  });

  it('splits a newline into separate words, each held to the strict pattern', () => {
    // "health app\nid" is two plain words (env app, tier id), never one argument carrying a newline.
    expect(parseCommand('health app\nid', COMMANDS).input.args).toEqual({ env: 'app', tier: 'id' });
    expect(() => parseCommand('health demo app\nid', COMMANDS)).toThrow(/at most 2 arguments/);
  });

  it('accepts the ordinary forms', () => {
    expect(parseCommand('health acme-prod app', COMMANDS).input.args).toEqual({ env: 'acme-prod', tier: 'app' });
  });
});

describe('shell injection: the documents’ allowedPattern', () => {
  const patterns = async (): Promise<Array<[string, string]>> => {
    const doc = parse(await readFile(join(REAL_DOCUMENTS_DIR, 'Medic-HealthCheck.yaml'), 'utf8')) as { parameters: Record<string, { allowedPattern: string; interpolationType: string }> };
    return Object.entries(doc.parameters).map(([name, p]) => {
      expect(p.interpolationType).toBe('ENV_VAR');
      return [name, p.allowedPattern];
    });
  };

  it('no hostile value matches any parameter pattern of Medic-HealthCheck', async () => {
    const accepted: string[] = [];
    for (const [name, pattern] of await patterns()) {
      const re = new RegExp(pattern);
      for (const v of HOSTILE) if (re.test(v)) accepted.push(`${name}: ${JSON.stringify(v)}`);
    }
    expect(accepted).toEqual([]);
  });

  it.each(['http://x/$(id)', 'http://x/`id`', 'http://x/;id', 'http://x/../../etc/passwd', 'http://x/a b', 'file:///etc/passwd', 'http://x/"', 'http://x/\nid', '-K/etc/passwd', 'http://x@evil/'])('HealthUrl refuses %j', async (bad) => {
    expect(new RegExp(Object.fromEntries(await patterns())['HealthUrl']!).test(bad)).toBe(false);
  });

  it.each([
    ['JvmProcess', 'org.apache.catalina.startup.Bootstrap'],
    ['JvmProcess', 'catalina.base=/opt/tomcat'],
    ['JvmContainer', 'tomcat-app_1'],
    ['HealthUrl', 'http://localhost:8080/actuator/health'],
    ['HealthUrl', 'https://127.0.0.1:8443/app/health.jsp?deep=true'],
    ['HealthUrl', ''],
  ])('accepts the ordinary %s %j', async (name, value) => {
    const re = new RegExp(Object.fromEntries(await patterns())[name]!);
    expect(re.test(value)).toBe(true);
  });

  it.each(HOSTILE)('the local executor refuses %j before running anything', async (bad) => {
    const run = createLocalExecutor().run({ document: 'Medic-HealthCheck', parameters: { JvmProcess: bad }, targets: { instanceIds: ['local'] }, timeoutSeconds: 10 });
    await expect(run).rejects.toBeInstanceOf(InvalidParametersError);
  });
});
