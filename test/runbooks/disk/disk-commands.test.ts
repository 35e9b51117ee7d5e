import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../commands/index.js';
import { parseCommand } from '../../../commands/parse.js';
import { InventorySchema } from '../../../src/core/inventory.js';
import { cleanupCommandText, parsePlanToken } from '../../../src/core/kinds/disk.js';
import { diskParameters } from '../../../src/runbooks/disk/disk-document.js';
import { documentEnvironment, InvalidParametersError, loadDocuments } from '../../../src/executors/ssm/documents.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';

const cleanup = { rotatedLogs: { paths: ['/var/log/tomcat', '/opt/app/logs'], olderThanDays: 3 }, heapDumps: { paths: ['/var/dumps'] }, truncateDeletedOpenFiles: true };
const inventory = InventorySchema.parse({
  'acme-prod': {
    tags: { prod: true },
    cleanup,
    tiers: {
      app: { targets: { instanceIds: ['i-0123456789abcdef0'] }, names: { 'i-0123456789abcdef0': 'app-1' } },
      web: { targets: { instanceIds: ['i-0123456789abcdef1'] }, cleanup: { rotatedLogs: { paths: ['/var/log/nginx'] } } },
    },
  },
  bare: { tiers: { app: { targets: { instanceIds: ['local'] } } } },
});

function plan(text: string) {
  const { command, input } = parseCommand(text, COMMANDS);
  return command.plan({ ...input, inventory, receivedAt: 0 });
}

describe('disk commands', () => {
  it.each([
    ['disk acme-prod app-1', { kind: 'disk.check', env: 'acme-prod', target: 'app-1' }, 'read'],
    ['disk acme-prod app-1 /var', { kind: 'disk.check', env: 'acme-prod', target: 'app-1', mount: '/var' }, 'read'],
    ['disk acme-prod app-1 /', { kind: 'disk.check', mount: '/' }, 'read'],
    // Without a plan, `disk cleanup` is the dry run: nothing to approve yet.
    ['disk cleanup acme-prod app-1', { kind: 'disk.check', env: 'acme-prod', target: 'app-1' }, 'read'],
    ['disk cleanup acme-prod app-1 /var', { kind: 'disk.check', mount: '/var' }, 'read'],
    ['disk cleanup acme-prod app-1 plan:rotated-logs=1000,deleted-open=5', { kind: 'disk.cleanup', caps: { 'rotated-logs': 1000, 'deleted-open': 5 }, policy: { rotatedLogs: { paths: ['/var/log/tomcat', '/opt/app/logs'] } } }, 'change'],
    ['disk cleanup acme-prod app-1 /var plan:heap-dumps=7', { kind: 'disk.cleanup', mount: '/var', caps: { 'heap-dumps': 7 } }, 'change'],
    ['disk cleanup acme-prod app-1 all because alert', { kind: 'disk.cleanup', caps: 'any' }, 'change'],
  ])('plans `%s`', (text, request, risk) => {
    expect(plan(text)).toMatchObject({ type: 'job', request, risk });
  });

  it('binds the tier’s own allow-list (its keys win over the environment’s) into the request', () => {
    const p = plan('disk cleanup acme-prod i-0123456789abcdef1 plan:rotated-logs=1');
    expect(p).toMatchObject({ request: { policy: { rotatedLogs: { paths: ['/var/log/nginx'], olderThanDays: 7 }, heapDumps: { paths: ['/var/dumps'] } } }, targets: ['i-0123456789abcdef1'] });
  });

  it('round-trips the plan token the disk card puts on its button', () => {
    const text = cleanupCommandText('acme-prod', 'app-1', '/var', { 'rotated-logs': 123, 'deleted-open': 4 });
    expect(text).toBe('disk cleanup acme-prod app-1 /var plan:rotated-logs=123,deleted-open=4');
    expect(plan(text)).toMatchObject({ request: { caps: { 'rotated-logs': 123, 'deleted-open': 4 }, mount: '/var' } });
    expect(parsePlanToken('plan:journal=0')).toEqual({ journal: 0 });
  });

  it.each([
    ['disk acme-prod app-1 /var/../etc', /mount point/],
    ['disk acme-prod app-1 var', /mount point/],
    ['disk acme-prod app-1 /var;id', /mount point/],
    ['disk cleanup acme-prod app-1 /tmp/$(id)', /mount point|plan/],
    ['disk cleanup acme-prod app-1 plan:rotated-logs=1;rm', /plan/],
    ['disk cleanup acme-prod app-1 plan:everything=1', /`everything` is not a cleanup action/],
    ['disk cleanup acme-prod app-1 plan:docker=1', /does not permit/],
    ['disk cleanup bare local plan:rotated-logs=1', /No cleanup is configured/],
    ['disk acme-prod app-9', /`app-9` is not an instance of `acme-prod`/],
  ])('refuses `%s`', (text, message) => {
    expect(() => plan(text)).toThrow(message);
  });

  it.each([
    [{ rotatedLogs: { paths: ['/var/log/../etc'] } }],
    [{ rotatedLogs: { paths: ['var/log'] } }],
    [{ rotatedLogs: { paths: ['/var/log/'] } }],
    [{ rotatedLogs: { paths: ['/var/.hidden'] } }],
    [{ rotatedLogs: { paths: ['/var/log $(id)'] } }],
    [{ heapDumps: { paths: [] } }],
    [{ rotatedLogs: { paths: ['/var/log'], olderThanDays: 0 } }],
  ])('refuses the allow-list %j in the config', (bad) => {
    expect(InventorySchema.safeParse({ e: { cleanup: bad, tiers: {} } }).success).toBe(false);
  });

  it('passes the allow-list to Medic-Disk as parameters its patterns accept', async () => {
    const doc = (await loadDocuments(REAL_DOCUMENTS_DIR)).get('Medic-Disk')!;
    const t = plan('disk cleanup acme-prod app-1 /var plan:rotated-logs=5');
    if (t.type !== 'job' || t.request.kind !== 'disk.cleanup') throw new Error('not a cleanup');
    const env = documentEnvironment(doc, diskParameters(t.request.policy, 'cleanup', { mount: '/var', caps: t.request.caps }));
    expect(env).toMatchObject({ SSM_Mode: 'cleanup', SSM_LogPaths: '/var/log/tomcat:/opt/app/logs', SSM_LogDays: '3', SSM_CapLogs: '5', SSM_CapDumps: 'skip', SSM_TruncateOpen: 'yes', SSM_Mount: '/var' });
    for (const [name, value] of [['LogPaths', '/var/log;id'], ['LogPaths', '/var/../etc'], ['Mount', '/var /etc'], ['CapLogs', '-1'], ['DumpsOnlyUploaded', 'maybe']]) {
      expect(() => documentEnvironment(doc, { ...diskParameters({}, 'check'), [name!]: value! })).toThrow(InvalidParametersError);
    }
  });
});
