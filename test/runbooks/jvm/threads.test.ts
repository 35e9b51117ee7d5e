import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jvmThreadsCard } from '../../../cards/jvm-threads-card.js';
import { UserError } from '../../../src/core/errors.js';
import { createLocalExecutor } from '../../../src/executors/local.js';
import { createSsmExecutor } from '../../../src/executors/ssm.js';
import { runJvmThreads, splitThreadDumpOutput } from '../../../src/runbooks/jvm/threads.js';
import { cardText, expectValidCard } from '../../support/adaptive-card.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';
import { fakeInstanceIds } from '../../support/fake-aws/ssm-server.js';
import { useFakeSsm } from '../../support/fake-aws/use-fake-ssm.js';
import { compileTestJvm, jvmContext, startTestJvm, type TestJvm } from './test-jvm.js';

const marker = `medic-threads-test-${process.pid}`;
let jvm: TestJvm;
let compiled: ReturnType<typeof compileTestJvm>;

beforeAll(async () => {
  compiled = compileTestJvm();
  jvm = await startTestJvm(compiled.classes, marker, ['deadlock']);
}, 120_000);
afterAll(() => {
  jvm?.stop();
  compiled?.cleanup();
});

const inventory = (targets: unknown, names: Record<string, string>) => ({ demo: { tiers: { app: { targets, jvm: { process: marker }, names } } } });

describe('jvm threads on this host through the local executor', () => {
  it('finds the deadlock the JVM itself reports, in every one of the dumps', async () => {
    const ctx = jvmContext(createLocalExecutor(), inventory({ instanceIds: ['local'] }, { local: 'this-host' }));
    const result = await runJvmThreads({ kind: 'jvm.threads', env: 'demo', target: 'this-host', count: 2, intervalSeconds: 1 }, ctx);
    expect(result).toMatchObject({ kind: 'jvm.threads', count: 2, intervalSeconds: 1, target: { env: 'demo', tier: 'app', instanceId: 'local', name: 'this-host' }, jvm: { pid: jvm.pid, tool: 'jcmd' } });
    expect(result.report.dumps).toHaveLength(2);
    expect(result.report.deadlocks).toHaveLength(1);
    expect([...result.report.deadlocks[0]!.threads].sort()).toEqual(['DeadlockThread-A', 'DeadlockThread-B']);
    expect(result.report.findings[0]).toMatchObject({ severity: 'critical', title: expect.stringMatching(/^Deadlock: /) });
    // The JVM's own view, taken now: the same deadlock section and the same thread count as Medic's last dump.
    const own = execFileSync('jcmd', [String(jvm.pid), 'Thread.print', '-l'], { encoding: 'utf8' });
    expect(own).toContain('Found one Java-level deadlock');
    // Every thread header starts with its quoted name; the deadlock section's `"name":` lines are not threads.
    expect(result.report.threads).toBe(own.split('\n').filter((l) => l.startsWith('"') && !l.endsWith('":')).length);
    expect(result.report.states.BLOCKED).toBeGreaterThanOrEqual(2);
    // top -H ran beside each dump: its thread ids line up with the dumps' nids.
    expect(result.attachments!.map((a) => a.name)).toEqual([expect.stringMatching(/^threads-demo-this-host-.*\.txt$/), expect.stringMatching(/-report\.json$/)]);
    const raw = result.attachments![0]!.content;
    expect(raw.match(/^===MEDIC-TOP \d+$/gm)).toHaveLength(2);
    expect(raw).toMatch(/^\s*PID\s+USER/m);
    expect(JSON.parse(result.attachments![1]!.content)).toMatchObject({ deadlocks: [{ threads: expect.arrayContaining(['DeadlockThread-A']) }] });
    expect(ctx.notes[0]!.note).toBe('Taking 2 thread dumps of this-host (demo/app), 1 s apart');

    const card = jvmThreadsCard(result, { jobId: 'r-1', requestedBy: 'ana@example.com', now: Date.now() });
    expectValidCard(card);
    const text = cardText(card.card);
    expect(text).toContain('Instance: this-host (local) · demo/app');
    expect(text).toContain('2 × 1 s apart');
    expect(text).toMatch(/Deadlock/);
  }, 120_000);

  it('says which process it could not find', async () => {
    const ctx = jvmContext(createLocalExecutor(), { demo: { tiers: { app: { targets: { instanceIds: ['local'] }, jvm: { process: 'medic-no-such-jvm-anywhere' } } } } });
    await expect(runJvmThreads({ kind: 'jvm.threads', env: 'demo', target: 'local', count: 1, intervalSeconds: 1 }, ctx)).rejects.toThrow(/No thread dump from local: no running process matches 'medic-no-such-jvm-anywhere'/);
  });

  it('refuses targets that are not instances of the environment, and tiers without a JVM', async () => {
    const ctx = jvmContext(createLocalExecutor(), { demo: { tiers: { app: { targets: { instanceIds: ['local'] }, names: { local: 'this-host' } } } } });
    await expect(runJvmThreads({ kind: 'jvm.threads', env: 'demo', target: 'app-9', count: 1, intervalSeconds: 1 }, ctx)).rejects.toMatchObject({ message: '`app-9` is not an instance of `demo`.', hint: 'Its instances: this-host.' });
    await expect(runJvmThreads({ kind: 'jvm.threads', env: 'demo', target: 'this-host', count: 1, intervalSeconds: 1 }, ctx)).rejects.toBeInstanceOf(UserError);
  });
});

describe('jvm threads through the real SDK and the local SSM server', () => {
  const [id] = fakeInstanceIds(1, 7);
  const aws = useFakeSsm({ instances: [id!], documentsDirs: [REAL_DOCUMENTS_DIR] });

  it('reads the dumps beyond the 24,000-character inline limit from the S3 output bucket and finds the deadlock', async () => {
    const executor = createSsmExecutor({ ssm: aws.ssm, s3: aws.s3, pollIntervalMs: 50, maxPollIntervalMs: 300, outputS3Bucket: 'medic-output', outputS3KeyPrefix: 'ssm' });
    const ctx = jvmContext(executor, inventory({ instanceIds: [id] }, { [id!]: 'app-1' }));
    const result = await runJvmThreads({ kind: 'jvm.threads', env: 'demo', target: 'app-1', count: 3, intervalSeconds: 1 }, ctx);
    expect(result.target).toMatchObject({ instanceId: id, name: 'app-1' });
    expect(result.attachments![0]!.content.length).toBeGreaterThan(24_000);
    expect(aws.server.calls.get('S3.GetObject')).toBeGreaterThanOrEqual(1);
    expect(result.report.dumps).toHaveLength(3);
    expect([...result.report.deadlocks[0]!.threads].sort()).toEqual(['DeadlockThread-A', 'DeadlockThread-B']);
    expect(aws.server.commands.get(result.commandId)).toMatchObject({ documentName: 'Medic-JvmThreadDump', parameters: { JvmProcess: [marker], Count: ['3'], IntervalSeconds: ['1'] } });
  }, 120_000);
});

describe('splitting the document output', () => {
  it('keeps each dump with its top, skips failed dumps and bookkeeping lines, and survives a cut-off end', () => {
    const out = [
      'agent noise',
      '===MEDIC-JVM pid=42 user=app container=',
      '===MEDIC-DUMP 1 at=1',
      '"main" #1 prio=5',
      '',
      '===MEDIC-TOOL 1 jcmd',
      '===MEDIC-TOP 1',
      '  PID USER',
      '===MEDIC-END 1',
      '===MEDIC-DUMP 2 at=2',
      '',
      '===MEDIC-FAILED 2 the JVM did not answer the attach request',
      '===MEDIC-TOP 2',
      '===MEDIC-END 2',
      '===MEDIC-DUMP 3 at=3',
      '"main" #1 prio=5 cut',
    ].join('\n');
    expect(splitThreadDumpOutput(out)).toEqual([
      { index: 1, dump: '"main" #1 prio=5', top: 'PID USER' },
      { index: 2, dump: '', top: '', failed: 'the JVM did not answer the attach request' },
      { index: 3, dump: '"main" #1 prio=5 cut', top: '' },
    ]);
  });
});
