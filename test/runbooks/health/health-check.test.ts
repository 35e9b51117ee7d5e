import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { createLocalExecutor } from '../../../src/executors/local.js';
import { createRoutingExecutor } from '../../../src/executors/routing.js';
import { createSsmExecutor } from '../../../src/executors/ssm.js';
import { runHealthCheck } from '../../../src/runbooks/health/health-check.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';
import { fakeInstanceIds } from '../../support/fake-aws/ssm-server.js';
import { useFakeSsm } from '../../support/fake-aws/use-fake-ssm.js';
import { healthContext } from './context.js';

describe('health on this host through the local executor', () => {
  const marker = `medic-health-${process.pid}`;
  let fakeJvm: ChildProcess;

  beforeAll(async () => {
    // A long-lived process whose command line looks like a JVM's (pattern + -Xmx), found by pgrep -f.
    fakeJvm = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '-Xmx256m', '-Ddb.password=hunter2-cmdline', '--api-token', 'tok-cmdline', marker], { stdio: 'ignore' });
    await once(fakeJvm, 'spawn');
  });
  afterAll(() => {
    fakeJvm.kill('SIGKILL');
  });

  it('builds a one-row matrix whose disk and memory readings agree with df and free', async () => {
    const ctx = healthContext(createLocalExecutor(), { demo: { tiers: { host: { targets: { instanceIds: ['local'] }, jvm: { process: marker }, names: { local: 'this-host' } } } } });
    const result = await runHealthCheck({ kind: 'health.check', env: 'demo' }, ctx);
    expect(result.instances).toHaveLength(1);
    const row = result.instances[0]!;
    expect(row).toMatchObject({ tier: 'host', instanceId: 'local', name: 'this-host', status: 'Success' });
    expect(row.checks.find((c) => c.id === 'jvm')).toMatchObject({ grade: 'ok', value: expect.stringContaining(`pid ${fakeJvm.pid}`) });
    const root = execFileSync('df', ['-P', '/'], { encoding: 'utf8' }).trim().split('\n')[1]!.trim().split(/\s+/);
    const disk = row.readings!.disks!.find((d) => d.mount === root[5]);
    expect(disk!.sizeKb).toBe(Number(root[1]));
    expect(row.checks.find((c) => c.id === 'disk' && c.mount === root[5])!.headline).toBe(`disk ${disk!.usedPercent}% on ${root[5]}`);
    const total = Number(execFileSync('free', ['-b'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Mem:'))!.trim().split(/\s+/)[1]);
    expect(row.readings!.memory!.totalBytes).toBe(total);
    expect(result.counts.ok + result.counts.warn + result.counts.critical).toBe(1);
    expect(result.summary).toEqual(row.grade === 'ok' ? 'All 1 instance healthy.' : expect.stringMatching(/^1 (critical|warning): this-host /));
    expect(result.attachments![0]).toMatchObject({ name: 'health-demo.csv', contentType: 'text/csv' });
    expect(ctx.notes[0]).toBe('Checking 1 tier of demo: host');
    // Secrets on the JVM's command line never leave the host: masked in the readings, the CSV and the result.
    expect(row.readings!.jvm!.command).toContain(`-Xmx256m -Ddb.password=•••• --api-token •••• ${marker}`);
    expect(JSON.stringify(result)).not.toMatch(/hunter2-cmdline|tok-cmdline/);
  });

  it('refuses an unknown environment or tier with the known ones', async () => {
    const ctx = healthContext(createLocalExecutor(), { demo: { tiers: { host: { targets: { instanceIds: ['local'] } } } } });
    await expect(runHealthCheck({ kind: 'health.check', env: 'nope' }, ctx)).rejects.toBeInstanceOf(UserError);
    await expect(runHealthCheck({ kind: 'health.check', env: 'demo', tier: 'app' }, ctx)).rejects.toMatchObject({ hint: 'Its tiers: host.' });
  });
});

describe('health sees tmpfs mounts (a full /tmp or /dev/shm is an outage)', () => {
  // A real tmpfs made for the test when this host lets us mount (root); else the host's own /dev/shm is read.
  let dir: string;
  let mounted = false;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-tmpfs-'));
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
    // 95 % of 1 MiB: past the critical level (90 %).
    if (mounted) writeFileSync(join(dir, 'filler'), Buffer.alloc(1000 * 1024));
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('grades a tmpfs filled past the threshold as a critical finding, and reads /dev/shm as df does', async () => {
    const ctx = healthContext(createLocalExecutor(), { demo: { tiers: { host: { targets: { instanceIds: ['local'] }, names: { local: 'this-host' } } } } });
    const row = (await runHealthCheck({ kind: 'health.check', env: 'demo' }, ctx)).instances[0]!;
    const dfOf = (mount: string) => execFileSync('df', ['-Pk', mount], { encoding: 'utf8' }).trim().split('\n')[1]!.trim().split(/\s+/);
    if (mounted) {
      const df = dfOf(dir);
      expect(row.readings!.disks!.find((d) => d.mount === dir)).toMatchObject({ fsType: 'tmpfs', sizeKb: Number(df[1]), usedPercent: Number(df[4]!.replace('%', '')) });
      expect(row.checks.find((c) => c.id === 'disk' && c.mount === dir)).toMatchObject({ grade: 'critical', tmpfs: true, headline: `tmpfs ${df[4]} full on ${dir}` });
      expect(row.grade).toBe('critical');
      expect(row.checks.find((c) => c.id === 'inodes' && c.mount === dir)).toMatchObject({ tmpfs: true });
    }
    const shm = dfOf('/dev/shm');
    expect(shm[5]).toBe('/dev/shm');
    expect(row.readings!.disks!.find((d) => d.mount === '/dev/shm')).toMatchObject({ fsType: 'tmpfs', sizeKb: Number(shm[1]) });
    // Pseudo filesystems stay out: devtmpfs /dev, cgroup tmpfs under /sys.
    expect(row.readings!.disks!.map((d) => d.mount).filter((m) => m === '/dev' || m.startsWith('/sys/') || m.startsWith('/proc'))).toEqual([]);
  });
});

describe('health across tiers through the real SDK and the local SSM server', () => {
  const app = fakeInstanceIds(3);
  const web = fakeInstanceIds(2, 5);
  const aws = useFakeSsm({ instances: [...app, ...web.map((id) => ({ id, tags: { Env: 'acme-prod', Tier: 'web' } }))], documentsDirs: [REAL_DOCUMENTS_DIR] });

  const inventory = {
    'acme-prod': {
      tags: { prod: true },
      // This host is shared with other test suites: its load and uptime must not decide these assertions.
      healthThresholds: { loadPerCore: { warn: 1000, critical: 2000 }, recentBootSeconds: 0 },
      tiers: {
        app: { targets: { instanceIds: [...app, 'i-0ddddddddddddddd0'] }, jvm: { process: 'medic-test-tomcat-that-is-not-running' }, names: { [app[0]!]: 'app-1', [app[1]!]: 'app-2', [app[2]!]: 'app-3' } },
        web: { targets: { tag: { Env: 'acme-prod', Tier: 'web' } } },
      },
    },
  };

  it('runs one command per tier in parallel; offline and unknown instances are critical rows', async () => {
    aws.server.faults.offline(app[1]!, 'DeliveryTimedOut');
    const executor = createSsmExecutor({ ssm: aws.ssm, s3: aws.s3, pollIntervalMs: 50, maxPollIntervalMs: 200 });
    const result = await runHealthCheck({ kind: 'health.check', env: 'acme-prod' }, healthContext(executor, inventory));
    expect(aws.server.calls.get('SendCommand')).toBe(3); // app (refused for the unknown id, then resent) + web
    expect(result.tiers).toEqual(['app', 'web']);
    expect(result.instances).toHaveLength(6);
    expect(result.commandIds).toHaveLength(2);
    const byName = Object.fromEntries(result.instances.map((r) => [r.name, r]));
    expect(byName['app-2']).toMatchObject({ grade: 'critical', status: 'Undeliverable', checks: [{ id: 'reachable', headline: 'unreachable (SSM agent offline?)' }] });
    expect(byName['i-0ddddddddddddddd0']).toMatchObject({ grade: 'critical', status: 'InvalidInstance' });
    // Nothing matches the pattern on this host, so the app tier's JVM is down on the instances that answered.
    expect(byName['app-1']!.checks.find((c) => c.id === 'jvm')).toMatchObject({ grade: 'critical', headline: 'JVM down', detail: 'no process matching "medic-test-tomcat-that-is-not-running" is running' });
    expect(byName['app-1']!.grade).toBe('critical');
    for (const id of web) expect(byName[id]!.readings!.instanceId).toBe(id);
    expect(byName[web[0]!]!.checks.some((c) => c.id === 'jvm')).toBe(false);
    expect(result.instances.slice(0, 4).every((r) => r.grade === 'critical')).toBe(true);
    expect(result.summary).toMatch(/^4 critical: /);
    expect(result.attachments![0]!.content.split('\n').filter((l) => l.startsWith('web,')).length).toBeGreaterThan(10);
  });

  it('checks one tier when asked', async () => {
    const executor = createSsmExecutor({ ssm: aws.ssm, s3: aws.s3, pollIntervalMs: 50 });
    const result = await runHealthCheck({ kind: 'health.check', env: 'acme-prod', tier: 'web' }, healthContext(executor, inventory));
    expect(result.tiers).toEqual(['web']);
    expect(result.instances.map((r) => r.instanceId).sort()).toEqual([...web].sort());
    expect(aws.server.calls.get('SendCommand')).toBe(1);
  });

  it('shows a tier it could not send to as critical rows and still checks the others', async () => {
    // No SSM configured: the remote tier fails as a whole, the local one answers.
    const executor = createRoutingExecutor({ local: createLocalExecutor() });
    const inv = { mixed: { tiers: { here: { targets: { instanceIds: ['local'] } }, there: { targets: { instanceIds: [app[0]!] } } } } };
    const result = await runHealthCheck({ kind: 'health.check', env: 'mixed' }, healthContext(executor, inv));
    const there = result.instances.find((r) => r.tier === 'there')!;
    expect(there).toMatchObject({ grade: 'critical', instanceId: app[0], detail: expect.stringMatching(/not configured/) });
    expect(result.instances.find((r) => r.tier === 'here')!.status).toBe('Success');
  });

  it('stops when the job is cancelled, cancelling the SSM command', async () => {
    const ac = new AbortController();
    aws.server.events.once('step-started', () => ac.abort());
    const executor = createSsmExecutor({ ssm: aws.ssm, s3: aws.s3, pollIntervalMs: 50 });
    await expect(runHealthCheck({ kind: 'health.check', env: 'acme-prod', tier: 'app' }, healthContext(executor, inventory, ac.signal))).rejects.toThrow(/abort/i);
    expect(aws.server.calls.get('CancelCommand')).toBe(1);
  });
});
