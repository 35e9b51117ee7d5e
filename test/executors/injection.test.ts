import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { parseCommand } from '../../commands/parse.js';
import { UserError } from '../../src/core/errors.js';
import { createLocalExecutor } from '../../src/executors/local.js';
import { InvalidParametersError, loadDocuments } from '../../src/executors/ssm/documents.js';
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

/** Every Medic document and every parameter it declares, as `medic ssm sync` would install them. */
const DOCUMENTS = [...(await loadDocuments(REAL_DOCUMENTS_DIR)).values()];
const PARAMETERS = DOCUMENTS.flatMap((doc) => Object.entries(doc.parameters).map(([name, spec]) => ({ doc, name, spec, label: `${doc.name}.${name}` })));

/** Values a document needs besides the one under test (parameters without a default). */
const REQUIRED: Record<string, Record<string, string>> = {
  'Medic-JvmHeapDump': { DumpName: 'heap-test' },
  'Medic-JvmRestart': { Method: 'command' },
};

/**
 * Hostile values a parameter accepts on purpose, with the reason. `Command` is the operator's restart command from
 * the config file (never chat text); the document splits it into words with globbing off and runs it without a
 * shell, so `..` and `%` are plain characters of a path or an argument there.
 */
const ACCEPTED_ON_PURPOSE: Record<string, string[]> = {
  'Medic-JvmRestart.Command': ['../../etc/passwd', '..', '%0a'],
};

describe('shell injection: every document’s parameters', () => {
  it('finds the documents', () => {
    expect(DOCUMENTS.map((d) => d.name)).toEqual(expect.arrayContaining(['Medic-HealthCheck', 'Medic-JvmHeapDump', 'Medic-JvmRestart', 'Medic-JvmThreadDump']));
    expect(PARAMETERS.length).toBeGreaterThan(20);
  });

  it.each(PARAMETERS.map((p) => [p.label, p] as const))('%s reaches the script only as $SSM_<name>, pinned by an anchored pattern', (_label, { doc, name, spec }) => {
    expect(spec.type).toBe('String');
    expect(spec.interpolationType).toBe('ENV_VAR');
    expect(spec.allowedPattern ?? '').toMatch(/^\^.*\$$/);
    const script = doc.mainSteps.map((s) => s.inputs.runCommand.join('\n')).join('\n');
    expect(script).not.toContain('{{');
    expect(script).toMatch(new RegExp(`\\$\\{?SSM_${name}\\b`));
    if (spec.default !== undefined) expect(new RegExp(spec.allowedPattern!).test(String(spec.default))).toBe(true);
  });

  it.each(PARAMETERS.map((p) => [p.label, p] as const))('%s matches no hostile value (beyond the documented exceptions)', (label, { spec }) => {
    const re = new RegExp(spec.allowedPattern!);
    expect(HOSTILE.filter((v) => re.test(v))).toEqual(ACCEPTED_ON_PURPOSE[label] ?? []);
  });

  it.each(PARAMETERS.map((p) => [p.label, p] as const))('the local executor refuses every hostile value of %s before running anything', async (label, { doc, name }) => {
    const executor = createLocalExecutor({ documentsDir: REAL_DOCUMENTS_DIR });
    for (const bad of HOSTILE.filter((v) => !(ACCEPTED_ON_PURPOSE[label] ?? []).includes(v))) {
      const run = executor.run({ document: doc.name, parameters: { ...REQUIRED[doc.name], [name]: bad }, targets: { instanceIds: ['local'] }, timeoutSeconds: 10 });
      await expect(run, `${label} = ${JSON.stringify(bad)}`).rejects.toBeInstanceOf(InvalidParametersError);
    }
  });

  it('runs no curl with -k / --insecure unless the health URL opted in', () => {
    for (const doc of DOCUMENTS) {
      for (const line of doc.mainSteps.flatMap((s) => s.inputs.runCommand.join('\n').split('\n'))) {
        if (!/\bcurl\s/.test(line)) continue;
        expect(line, `${doc.name}: ${line.trim()}`).not.toMatch(/\s(-k|--insecure)\b|\s-[a-zA-Z]*k[a-zA-Z]*\s/);
      }
    }
  });
});

describe('shell injection: health URLs', () => {
  const withHealthUrl = PARAMETERS.filter((p) => p.name === 'HealthUrl');

  it('is a parameter of the health check and the restart', () => {
    expect(withHealthUrl.map((p) => p.doc.name).sort()).toEqual(['Medic-HealthCheck', 'Medic-JvmRestart']);
  });

  it.each(['http://x/$(id)', 'http://x/`id`', 'http://x/;id', 'http://x/../../etc/passwd', 'http://x/a b', 'file:///etc/passwd', 'http://x/"', 'http://x/\nid', '-K/etc/passwd', 'http://x@evil/'])('HealthUrl refuses %j', (bad) => {
    for (const p of withHealthUrl) expect(new RegExp(p.spec.allowedPattern!).test(bad), p.label).toBe(false);
  });

  it.each(['http://localhost:8080/actuator/health', 'https://127.0.0.1:8443/app/health.jsp?deep=true', ''])('HealthUrl accepts the ordinary %j', (value) => {
    for (const p of withHealthUrl) expect(new RegExp(p.spec.allowedPattern!).test(value), p.label).toBe(true);
  });

  it.each(['true', 'false'])('HealthUrlInsecure accepts %j', (value) => {
    for (const doc of withHealthUrl.map((p) => p.doc)) expect(new RegExp(doc.parameters.HealthUrlInsecure!.allowedPattern!).test(value), doc.name).toBe(true);
  });

  it.each(['', 'yes', '1', 'TRUE', 'true ', 'true;id', '-k'])('HealthUrlInsecure refuses %j', (value) => {
    for (const doc of withHealthUrl.map((p) => p.doc)) expect(new RegExp(doc.parameters.HealthUrlInsecure!.allowedPattern!).test(value), doc.name).toBe(false);
  });
});

describe('shell injection: the ordinary values still pass', () => {
  it.each([
    ['Medic-HealthCheck', 'JvmProcess', 'org.apache.catalina.startup.Bootstrap'],
    ['Medic-HealthCheck', 'JvmProcess', 'catalina.base=/opt/tomcat'],
    ['Medic-HealthCheck', 'JvmContainer', 'tomcat-app_1'],
    ['Medic-JvmRestart', 'Unit', 'tomcat@app.service'],
    ['Medic-JvmRestart', 'Command', '/opt/app/bin/restart.sh --graceful timeout=30'],
    ['Medic-JvmHeapDump', 'DumpDir', '/var/tmp/medic-dumps'],
    ['Medic-JvmThreadDump', 'Count', '10'],
  ])('%s accepts %s %j', (doc, name, value) => {
    const spec = DOCUMENTS.find((d) => d.name === doc)!.parameters[name]!;
    expect(new RegExp(spec.allowedPattern!).test(value)).toBe(true);
  });
});
