import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { CommandRunResult, InstanceResult } from '../../src/core/executor.js';
import { createLocalExecutor } from '../../src/executors/local.js';
import { createRoutingExecutor } from '../../src/executors/routing.js';
import { createSsmExecutor, keyFromUrl } from '../../src/executors/ssm.js';
import { liveProcessesInGroup } from '../support/fake-aws/process-group.js';
import { TEST_DOCUMENTS_DIR, REAL_DOCUMENTS_DIR } from '../support/fake-aws/paths.js';
import { fakeInstanceIds } from '../support/fake-aws/ssm-server.js';
import { useFakeSsm } from '../support/fake-aws/use-fake-ssm.js';

const IDS = fakeInstanceIds(4);
const TAGGED = fakeInstanceIds(3, 7);

function byId(r: CommandRunResult): Record<string, InstanceResult> {
  return Object.fromEntries(r.instances.map((i) => [i.instanceId, i]));
}

describe('SSM executor through the real SDK against the local SSM server', () => {
  const aws = useFakeSsm({
    instances: [...IDS, { id: TAGGED[0]!, tags: { Env: 'acme-prod', Tier: 'app' } }, { id: TAGGED[1]!, tags: { Env: 'acme-prod', Tier: 'app' } }, { id: TAGGED[2]!, tags: { Env: 'acme-prod', Tier: 'db' } }],
    documentsDirs: [REAL_DOCUMENTS_DIR, TEST_DOCUMENTS_DIR],
  });

  const executor = (extra: Partial<Parameters<typeof createSsmExecutor>[0]> = {}) => createSsmExecutor({ ssm: aws.ssm, s3: aws.s3, pollIntervalMs: 50, maxPollIntervalMs: 200, ...extra });

  it('runs the document on every instance as that instance, one ListCommandInvocations per round', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: { Chars: '20' }, targets: { instanceIds: IDS.slice(0, 3) }, timeoutSeconds: 30, comment: 'job 42 by ana@example.com' });
    expect(r.commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.instances).toHaveLength(3);
    for (const id of IDS.slice(0, 3)) {
      expect(byId(r)[id]).toMatchObject({ status: 'Success', exitCode: 0 });
      expect(byId(r)[id]!.stdout).toMatch(/^x+\n?x*END$/);
      expect(byId(r)[id]!.stderr).toBe(`to stderr from ${id}\n`);
    }
    expect(aws.server.calls.get('SendCommand')).toBe(1);
    expect(aws.server.calls.get('GetCommandInvocation')).toBe(3);
    expect(aws.server.calls.get('ListCommandInvocations')).toBeGreaterThanOrEqual(1);
    expect(aws.server.commands.get(r.commandId)!.comment).toBe('job 42 by ana@example.com');
  });

  it('polls one instance with GetCommandInvocation through InvocationDoesNotExist', async () => {
    aws.server.faults.invocationLag(2);
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: { Chars: '5' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 });
    expect(r.instances[0]).toMatchObject({ status: 'Success', stdout: 'xxEND' });
    expect(aws.server.calls.get('ListCommandInvocations')).toBeUndefined();
    expect(aws.server.calls.get('GetCommandInvocation')).toBeGreaterThanOrEqual(3);
  });

  it('reports a failing step with its exit code and stderr', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: { ExitCode: '4' }, targets: { instanceIds: [IDS[1]!] }, timeoutSeconds: 30 });
    expect(r.instances[0]).toMatchObject({ status: 'Failed', exitCode: 4 });
    expect(r.instances[0]!.detail).toContain('exited with code 4: to stderr from');
  });

  it('reports offline instances per instance and still returns the others', async () => {
    aws.server.faults.offline(IDS[1]!, 'DeliveryTimedOut');
    aws.server.faults.offline(IDS[2]!, 'Undeliverable');
    const r = byId(await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: IDS.slice(0, 3) }, timeoutSeconds: 30 }));
    expect(r[IDS[0]!]).toMatchObject({ status: 'Success' });
    expect(r[IDS[1]!]).toMatchObject({ status: 'Undeliverable', exitCode: null });
    expect(r[IDS[1]!]!.detail).toMatch(/offline.*Delivery Timed Out/);
    expect(r[IDS[2]!]).toMatchObject({ status: 'Undeliverable' });
    expect(r[IDS[2]!]!.detail).toMatch(/Undeliverable/);
    // Nothing ran on the offline ones, so their output is not fetched.
    expect(aws.server.calls.get('GetCommandInvocation')).toBe(1);
  });

  it('retries throttled calls beyond the SDK’s own attempts', async () => {
    aws.server.faults.throttleNext(6, ['SendCommand']);
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 });
    expect(r.instances[0]!.status).toBe('Success');
    // 3 SDK attempts, throttled; 3 more, throttled; then the call that went through.
    expect(aws.server.calls.get('SendCommand')).toBe(7);
  });

  it('keeps polling through throttled polls', async () => {
    aws.server.faults.throttleNext(8, ['ListCommandInvocations', 'GetCommandInvocation']);
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: IDS.slice(0, 2) }, timeoutSeconds: 30 });
    expect(r.instances.map((i) => i.status)).toEqual(['Success', 'Success']);
  });

  it('reads stdout beyond 24,000 characters from the S3 output bucket', async () => {
    const r = await executor({ outputS3Bucket: 'medic-output', outputS3KeyPrefix: 'runs' }).run({ document: 'Medic-TestOutput', parameters: { Chars: '60000' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 });
    const inst = r.instances[0]!;
    expect(inst.status).toBe('Success');
    expect(inst.stdout).toHaveLength(60000);
    expect(inst.stdout.endsWith('END')).toBe(true);
    expect(aws.server.calls.get('S3.GetObject')).toBe(1);
    expect(aws.server.s3.keys('medic-output', `runs/${r.commandId}/`)).toEqual([`runs/${r.commandId}/${IDS[0]}/awsrunShellScript/output/stderr`, `runs/${r.commandId}/${IDS[0]}/awsrunShellScript/output/stdout`]);
  });

  it('says the output was cut when there is no output bucket', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: { Chars: '30000' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 });
    expect(r.instances[0]!.stdout).toHaveLength(24000);
    expect(r.instances[0]!.detail).toMatch(/cut at 24,000 characters/);
  });

  it('cancels the command when the job is aborted mid-run', async () => {
    const ac = new AbortController();
    const started = once(aws.server.events, 'step-started') as Promise<[{ pid: number; instanceId: string }]>;
    const run = executor().run({ document: 'Medic-TestSleep', parameters: { Seconds: '300' }, targets: { instanceIds: [IDS[3]!] }, timeoutSeconds: 600, signal: ac.signal });
    const [{ pid, instanceId }] = await started;
    expect(instanceId).toBe(IDS[3]);
    // Mid-run means after its first line: the script echoes, then starts `sleep` in the background, so once the
    // group holds that second process the line has been written (aborting at spawn raced the echo on a busy host).
    await vi.waitFor(() => expect(liveProcessesInGroup(pid).length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    ac.abort();
    const r = await run;
    expect(r.instances[0]).toMatchObject({ instanceId: IDS[3], status: 'Cancelled', exitCode: null });
    expect(r.instances[0]!.stdout).toContain(`sleeping as ${IDS[3]}`);
    expect(aws.server.calls.get('CancelCommand')).toBe(1);
    expect(liveProcessesInGroup(pid)).toEqual([]);
  });

  it('gives up at its deadline on an agent that never answers, cancels, and says so', async () => {
    aws.server.faults.hang(IDS[2]!);
    const r = byId(await executor({ deadlineMs: 1500 }).run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: [IDS[0]!, IDS[2]!] }, timeoutSeconds: 30 }));
    expect(r[IDS[0]!]!.status).toBe('Success');
    expect(r[IDS[2]!]).toMatchObject({ status: 'TimedOut', exitCode: null });
    expect(r[IDS[2]!]!.detail).toMatch(/no result within \d+ s/);
    expect(aws.server.calls.get('CancelCommand')).toBe(1);
  });

  it('runs on tag targets, following ListCommandInvocations with Details', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { tags: { Env: 'acme-prod', Tier: 'app' } }, timeoutSeconds: 30 });
    expect(r.instances.map((i) => i.instanceId).sort()).toEqual([TAGGED[0], TAGGED[1]].sort());
    expect(r.instances.every((i) => i.status === 'Success')).toBe(true);
    expect(aws.server.calls.get('ListCommandInvocations')).toBeGreaterThanOrEqual(1);
    expect(aws.server.calls.get('ListCommands')).toBeGreaterThanOrEqual(1);
  });

  it('answers tag targets that match nothing with no instances', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { tags: { Env: 'nowhere' } }, timeoutSeconds: 30 });
    expect(r.instances).toEqual([]);
  });

  it('marks an instance id SSM does not know as InvalidInstance and runs on the rest', async () => {
    const unknown = 'i-0fffffffffffffff0';
    const r = byId(await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: [IDS[0]!, unknown] }, timeoutSeconds: 30 }));
    expect(r[unknown]).toMatchObject({ status: 'InvalidInstance', exitCode: null });
    expect(r[unknown]!.detail).toMatch(/not registered with SSM/);
    expect(r[IDS[0]!]!.status).toBe('Success');
    expect(aws.server.calls.get('DescribeInstanceInformation')).toBe(1);
    expect(aws.server.calls.get('SendCommand')).toBe(2);
  });

  it('sends nothing when every instance id is unknown', async () => {
    const r = await executor().run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: ['i-0eeeeeeeeeeeeeee0'] }, timeoutSeconds: 30 });
    expect(r.instances).toMatchObject([{ status: 'InvalidInstance' }]);
    expect(aws.server.calls.get('GetCommandInvocation')).toBeUndefined();
  });

  it('runs only Medic documents and turns SSM refusals into user errors', async () => {
    await expect(executor().run({ document: 'AWS-RunShellScript', parameters: { commands: 'id' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 })).rejects.toBeInstanceOf(UserError);
    await expect(executor().run({ document: 'Medic-TestOutput', parameters: { Chars: '$(id)' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 })).rejects.toThrow(/refused the parameters/);
    await expect(executor({ documentPrefix: 'Other-' }).run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 })).rejects.toMatchObject({ message: expect.stringMatching(/Other-Medic-TestOutput is not installed/), hint: expect.stringMatching(/medic ssm sync/) });
    expect(aws.server.commands.size).toBeGreaterThan(0);
  });

  it('runs Medic-HealthCheck on a simulated instance and gets its JSON', async () => {
    const r = await executor().run({ document: 'Medic-HealthCheck', parameters: { JvmProcess: 'org.apache.catalina.startup.Bootstrap' }, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 60 });
    expect(r.instances[0]!.status).toBe('Success');
    const readings = JSON.parse(r.instances[0]!.stdout) as { instanceId: string; jvm: { found: boolean } };
    expect(readings.instanceId).toBe(IDS[0]);
    expect(readings.jvm.found).toBe(false);
  });

  it('routes local to the local executor and the rest to SSM', async () => {
    const routing = createRoutingExecutor({ local: createLocalExecutor({ documentsDir: TEST_DOCUMENTS_DIR }), ssm: executor() });
    const r = byId(await routing.run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: ['local', IDS[0]!] }, timeoutSeconds: 30 }));
    expect(r['local']!.stderr).toBe('to stderr from local\n');
    expect(r[IDS[0]!]!.stderr).toBe(`to stderr from ${IDS[0]}\n`);
    const localOnly = createRoutingExecutor({ local: createLocalExecutor({ documentsDir: TEST_DOCUMENTS_DIR }) });
    await expect(localOnly.run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: [IDS[0]!] }, timeoutSeconds: 30 })).rejects.toThrow(/not configured/);
    expect((await localOnly.run({ document: 'Medic-TestOutput', parameters: {}, targets: { instanceIds: ['local'] }, timeoutSeconds: 30 })).instances[0]!.status).toBe('Success');
  });
});

describe('keyFromUrl', () => {
  it.each([
    ['https://s3.eu-west-1.amazonaws.com/medic-out/runs/c/i-1/awsrunShellScript/s/stdout', 'runs/c/i-1/awsrunShellScript/s/stdout'],
    ['https://medic-out.s3.eu-west-1.amazonaws.com/runs/c/stdout', 'runs/c/stdout'],
    ['https://s3.amazonaws.com/other-bucket/x', undefined],
    ['not a url', undefined],
  ])('%s -> %s', (url, key) => {
    expect(keyFromUrl(url, 'medic-out')).toBe(key);
  });
});
