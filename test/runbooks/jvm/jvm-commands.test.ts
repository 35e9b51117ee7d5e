import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../commands/index.js';
import { jvmHeap, jvmOom, jvmThreads } from '../../../commands/jvm.js';
import { parseCommand } from '../../../commands/parse.js';
import { InventorySchema } from '../../../src/core/inventory.js';
import { documentEnvironment, InvalidParametersError, loadDocuments } from '../../../src/executors/ssm/documents.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';

const inventory = InventorySchema.parse({
  'acme-prod': {
    tags: { prod: true },
    tiers: {
      app: { targets: { instanceIds: ['i-0123456789abcdef0', 'i-0123456789abcdef1'] }, names: { 'i-0123456789abcdef0': 'app-1' }, jvm: { process: 'org.apache.catalina.startup.Bootstrap', restart: { method: 'systemctl', unit: 'tomcat' } } },
      web: { targets: { tag: { Env: 'acme-prod', Tier: 'web' } } },
    },
  },
  demo: { tiers: { app: { targets: { instanceIds: ['local'] }, names: { local: 'this-host' }, jvm: { process: 'medic-demo-jvm' } } } },
});

function plan(text: string) {
  const { command, input } = parseCommand(text, COMMANDS);
  return command.plan({ ...input, inventory, receivedAt: 0 });
}

describe('jvm commands', () => {
  it.each([
    ['jvm threads acme-prod app-1', { kind: 'jvm.threads', env: 'acme-prod', target: 'app-1', count: 3, intervalSeconds: 5 }, 'read', 'i-0123456789abcdef0'],
    ['jvm threads acme-prod i-0123456789abcdef1 10 60', { kind: 'jvm.threads', env: 'acme-prod', target: 'i-0123456789abcdef1', count: 10, intervalSeconds: 60 }, 'read', 'i-0123456789abcdef1'],
    ['jvm threads demo this-host 1', { kind: 'jvm.threads', env: 'demo', target: 'this-host', count: 1, intervalSeconds: 5 }, 'read', 'local'],
    ['jvm heap acme-prod app-1', { kind: 'jvm.heap', env: 'acme-prod', target: 'app-1' }, 'change', 'i-0123456789abcdef0'],
    ['jvm heap demo local because slow', { kind: 'jvm.heap', env: 'demo', target: 'local' }, 'change', 'local'],
    ['jvm oom acme-prod app-1 because OOM in the logs', { kind: 'jvm.oom', env: 'acme-prod', target: 'app-1' }, 'destructive', 'i-0123456789abcdef0'],
  ])('plans `%s`', (text, request, risk, target) => {
    expect(plan(text)).toMatchObject({ type: 'job', request, risk, targets: [target] });
  });

  it('names the restart the remediation will run in the approval summary', () => {
    expect(plan('jvm oom acme-prod app-1')).toMatchObject({ summary: 'OOM remediation of app-1 (acme-prod/app, prod): heap dump, restart (systemctl restart tomcat), health wait, analysis' });
  });

  it.each([
    ['jvm threads acme-prod app-1;reboot', /not a valid target|letters, digits/],
    ['jvm threads acme-prod $(id)', /letters, digits/],
    ['jvm threads acme-prod `id`', /letters, digits/],
    ['jvm threads acme-prod app-1 3;id', /count/],
    ['jvm threads acme-prod app-1 11', /at most 10/],
    ['jvm threads acme-prod app-1 3 0', /at least 1/],
    ['jvm threads acme-prod app-1 3 61', /at most 60/],
    ['jvm heap acme-prod app-1|sh', /letters, digits/],
    ['jvm heap acme-prod ../../etc', /letters, digits/],
    ['jvm oom acme-prod app-1&&id', /letters, digits/],
    ['jvm threads acme-prod app-9', /`app-9` is not an instance of `acme-prod`/],
    ['jvm threads nope app-1', /no environment `nope`/],
  ])('refuses `%s`', (text, message) => {
    expect(() => plan(text)).toThrow(message);
  });

  it('refuses an instance whose tier has no JVM', () => {
    const inv = InventorySchema.parse({ x: { tiers: { db: { targets: { instanceIds: ['local'] } } } } });
    const { command, input } = parseCommand('jvm threads x local', COMMANDS);
    expect(() => command.plan({ ...input, inventory: inv, receivedAt: 0 })).toThrow(/Tier `db` of `x` has no JVM/);
  });

  it('asks viewers for thread dumps and operators for heap dumps and the OOM remediation', () => {
    expect([jvmThreads.minRole, jvmHeap.minRole, jvmOom.minRole]).toEqual(['viewer', 'operator', 'operator']);
  });
});

describe('the JVM documents refuse shell syntax in every free-form parameter', async () => {
  const docs = await loadDocuments(REAL_DOCUMENTS_DIR);
  const hostile = ['x; reboot', 'x && id', 'x | sh', '$(id)', '`id`', 'x > /etc/passwd', "x' #", 'x"', 'a\nb', '../../etc/shadow', '/tmp/../etc', 'x\\y', 'x*'];
  const cases: Array<[string, string, Record<string, string>]> = [
    ['Medic-JvmThreadDump', 'JvmProcess', {}],
    ['Medic-JvmThreadDump', 'JvmContainer', {}],
    ['Medic-JvmThreadDump', 'JvmUser', {}],
    ['Medic-JvmThreadDump', 'Count', {}],
    ['Medic-JvmThreadDump', 'IntervalSeconds', {}],
    ['Medic-JvmHeapDump', 'DumpDir', { DumpName: 'd' }],
    ['Medic-JvmHeapDump', 'DumpName', {}],
    ['Medic-JvmHeapDump', 'S3Bucket', { DumpName: 'd' }],
    ['Medic-JvmHeapDump', 'S3Prefix', { DumpName: 'd' }],
    ['Medic-JvmHeapDump', 'Mode', { DumpName: 'd' }],
    ['Medic-JvmRestart', 'Command', { Method: 'command' }],
    ['Medic-JvmRestart', 'Unit', { Method: 'systemctl' }],
    ['Medic-JvmRestart', 'HealthUrl', { Method: 'command' }],
  ];
  it.each(cases)('%s refuses hostile values of %s', (name, param, base) => {
    const doc = docs.get(name)!;
    for (const value of hostile) {
      // JvmProcess allows '/' and spaces (command-line patterns) but never '..' or shell characters; Command is a
      // program path from the config file (run without a shell), where '..' is a path, not an injection.
      if (param === 'JvmProcess' && value === '/tmp/../etc') continue;
      if (param === 'Command' && value.includes('..')) continue;
      expect(() => documentEnvironment(doc, { ...base, [param]: value }), `${param}=${JSON.stringify(value)}`).toThrow(InvalidParametersError);
    }
  });

  it('accepts what Medic sends', () => {
    expect(() => documentEnvironment(docs.get('Medic-JvmHeapDump')!, { DumpDir: '/work/main/.medic/dumps', DumpName: 'heap-demo-this-host-20250101T000000-r-abc', S3Bucket: 'acme-medic-dumps', S3Prefix: 'medic-dumps/acme-prod/i-0123', Mode: 'existing-or-live', HeadroomPercent: '10' })).not.toThrow();
    expect(() => documentEnvironment(docs.get('Medic-JvmRestart')!, { Method: 'command', Command: '/opt/app/bin/restart.sh --graceful timeout=30', HealthUrl: 'http://127.0.0.1:8080/health' })).not.toThrow();
    expect(() => documentEnvironment(docs.get('Medic-JvmThreadDump')!, { JvmProcess: 'org.apache.catalina.startup.Bootstrap', Count: '10', IntervalSeconds: '60' })).not.toThrow();
  });
});
