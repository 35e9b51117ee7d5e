import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor, runDocumentOnHost } from '../../src/executors/local.js';
import { documentEnvironment, InvalidParametersError, loadDocuments } from '../../src/executors/ssm/documents.js';
import { REAL_DOCUMENTS_DIR, TEST_DOCUMENTS_DIR } from '../support/fake-aws/paths.js';
import { liveProcessesInGroup } from '../support/fake-aws/process-group.js';

interface Readings {
  instanceId: string;
  memory: { totalBytes: number; usedBytes: number; availableBytes: number } | null;
  disks: Array<{ filesystem: string; mount: string; sizeKb: number; usedKb: number; availableKb: number; usedPercent: number }>;
  inodes: Array<{ mount: string; inodes: number | null; usedPercent: number | null }>;
  jvm: { found: boolean; pid: number | null; xmx: string | null; uptimeSeconds: number | null } | null;
  health: { url: string; httpStatus: number | null; latencyMs: number | null; curlExit: number | null } | null;
  ports: number[] | null;
  load: { cores: number | null } | null;
  notes: string[];
}

function dfP(): Map<string, { size: number; used: number; avail: number }> {
  const out = execFileSync('df', ['-P'], { encoding: 'utf8' });
  const rows = new Map<string, { size: number; used: number; avail: number }>();
  for (const line of out.trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    rows.set(f.slice(5).join(' '), { size: Number(f[1]), used: Number(f[2]), avail: Number(f[3]) });
  }
  return rows;
}

function freeB(): { total: number; used: number; available: number } {
  const mem = execFileSync('free', ['-b'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Mem:'))!.trim().split(/\s+/);
  return { total: Number(mem[1]), used: Number(mem[2]), available: Number(mem[6]) };
}

describe('local executor running Medic-HealthCheck on this host', () => {
  const marker = `medic-hc-${process.pid}-${Date.now().toString(36)}`;
  let jvm: ChildProcess;
  let http: Server;
  let healthUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-jvm-'));
    await writeFile(join(dir, 'Sleep.java'), 'public class Sleep { public static void main(String[] a) throws Exception { Thread.sleep(600000); } }\n');
    // A real JVM with -Xmx, found by the document through its command line.
    jvm = spawn('java', ['-Xmx64m', '-XX:+UseSerialGC', join(dir, 'Sleep.java'), marker], { stdio: 'ignore' });
    await once(jvm, 'spawn');
    http = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('UP');
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    healthUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/health`;
  });

  afterAll(async () => {
    jvm.kill('SIGKILL');
    http.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function healthCheck(parameters: Record<string, string>): Promise<Readings> {
    const executor = createLocalExecutor();
    const r = await executor.run({ document: 'Medic-HealthCheck', parameters, targets: { instanceIds: ['local'] }, timeoutSeconds: 60 });
    expect(r.instances).toHaveLength(1);
    const [inst] = r.instances;
    expect(inst!.status, inst!.stderr).toBe('Success');
    expect(inst!.exitCode).toBe(0);
    return JSON.parse(inst!.stdout) as Readings;
  }

  it('emits one JSON object whose disk and memory readings agree with df -P and free -b', async () => {
    // Other processes (parallel test files, JVMs) move memory while the check runs: bracket it with two readings.
    const memBefore = freeB();
    const readings = await healthCheck({ JvmProcess: marker, HealthUrl: healthUrl });
    const df = dfP();
    const mem = freeB();
    expect(readings.instanceId).toBe('local');
    expect(readings.disks.length).toBeGreaterThan(0);
    expect(readings.disks.map((d) => d.mount)).toContain(execFileSync('df', ['-P', '/'], { encoding: 'utf8' }).trim().split('\n')[1]!.trim().split(/\s+/).slice(5).join(' '));
    for (const d of readings.disks) {
      const row = df.get(d.mount);
      expect(row, `df -P has ${d.mount}`).toBeDefined();
      expect(d.sizeKb).toBe(row!.size);
      // Files change between the two df runs; a tolerance of 1 % of the size is far tighter than any threshold.
      expect(Math.abs(d.usedKb - row!.used)).toBeLessThanOrEqual(row!.size * 0.01);
      expect(d.usedPercent).toBe(Math.ceil((d.usedKb * 100) / (d.usedKb + d.availableKb)));
    }
    expect(readings.inodes.map((d) => d.mount).sort()).toEqual(readings.disks.map((d) => d.mount).sort());
    expect(readings.memory!.totalBytes).toBe(mem.total);
    const within = (v: number, a: number, b: number) => {
      expect(v).toBeGreaterThanOrEqual(Math.min(a, b) - mem.total * 0.02);
      expect(v).toBeLessThanOrEqual(Math.max(a, b) + mem.total * 0.02);
    };
    within(readings.memory!.availableBytes, memBefore.available, mem.available);
    within(readings.memory!.usedBytes, memBefore.used, mem.used);
    expect(readings.load!.cores).toBe(Number(execFileSync('nproc', { encoding: 'utf8' }).trim()));
  });

  it('finds the JVM by its command line with pid and -Xmx, and probes the health URL', async () => {
    const readings = await healthCheck({ JvmProcess: marker, HealthUrl: healthUrl });
    expect(readings.jvm).toMatchObject({ found: true, pid: jvm.pid, xmx: '64m' });
    expect(readings.health).toMatchObject({ url: healthUrl, httpStatus: 200, curlExit: 0 });
    expect(readings.health!.latencyMs).toEqual(expect.any(Number));
    expect(readings.ports).toContain((http.address() as AddressInfo).port);
  });

  it('reports a JVM that is not running as found: false and a refused health URL with curl exit 7', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const readings = await healthCheck({ JvmProcess: `${marker}-absent`, HealthUrl: `http://127.0.0.1:${port}/health` });
    expect(readings.jvm).toMatchObject({ found: false, pid: null });
    expect(readings.health).toMatchObject({ httpStatus: null, curlExit: 7 });
  });

  it('omits the JVM and health probes when the tier has neither', async () => {
    const readings = await healthCheck({});
    expect(readings.jvm).toBeNull();
    expect(readings.health).toBeNull();
  });
});

describe('local executor: parameters, statuses, timeouts and cancellation', () => {
  const executor = createLocalExecutor({ documentsDir: TEST_DOCUMENTS_DIR });

  it.each([
    [{ JvmProcess: ';rm -rf /' }],
    [{ JvmProcess: '$(id)' }],
    [{ JvmProcess: '`id`' }],
    [{ JvmProcess: '../../etc/passwd' }],
    [{ JvmProcess: 'java\nid' }],
    [{ JvmContainer: "tomcat'; id; '" }],
    [{ HealthUrl: 'http://localhost/"$(id)"' }],
    [{ HealthUrl: 'file:///etc/passwd' }],
    [{ Unknown: 'x' }],
  ])('refuses %j before running anything', async (parameters) => {
    const local = createLocalExecutor();
    await expect(local.run({ document: 'Medic-HealthCheck', parameters, targets: { instanceIds: ['local'] }, timeoutSeconds: 10 })).rejects.toBeInstanceOf(InvalidParametersError);
  });

  it('refuses a document that is not one of Medic’s', async () => {
    await expect(executor.run({ document: 'AWS-RunShellScript', parameters: {}, targets: { instanceIds: ['local'] }, timeoutSeconds: 10 })).rejects.toThrow(/no Medic document/);
  });

  it('answers other instance ids as invalid rather than running there', async () => {
    const r = await executor.run({ document: 'Medic-TestOutput', parameters: { Chars: '10' }, targets: { instanceIds: ['local', 'i-0123456789abcdef0'] }, timeoutSeconds: 10 });
    const byId = Object.fromEntries(r.instances.map((i) => [i.instanceId, i]));
    expect(byId['local']).toMatchObject({ status: 'Success', exitCode: 0, stdout: 'xxxxxxxEND' });
    expect(byId['i-0123456789abcdef0']).toMatchObject({ status: 'InvalidInstance', exitCode: null });
    expect(byId['local']!.stderr).toContain('to stderr from local');
  });

  it('reports a non-zero exit as Failed with the exit code', async () => {
    const r = await executor.run({ document: 'Medic-TestOutput', parameters: { ExitCode: '3' }, targets: { instanceIds: ['local'] }, timeoutSeconds: 10 });
    expect(r.instances[0]).toMatchObject({ status: 'Failed', exitCode: 3 });
    expect(r.instances[0]!.detail).toMatch(/exited with code 3/);
  });

  it('stops a step at the request timeout as TimedOut', async () => {
    const r = await executor.run({ document: 'Medic-TestSleep', parameters: { Seconds: '300' }, targets: { instanceIds: ['local'] }, timeoutSeconds: 1 });
    expect(r.instances[0]).toMatchObject({ status: 'TimedOut', exitCode: null });
  });

  it('kills the whole process group when the signal aborts', async () => {
    const docs = await loadDocuments(TEST_DOCUMENTS_DIR);
    const doc = docs.get('Medic-TestSleep')!;
    const ac = new AbortController();
    let pgid = 0;
    const r = await runDocumentOnHost(doc, documentEnvironment(doc, { Seconds: '300' }), {
      instanceId: 'local',
      signal: ac.signal,
      onSpawn: (pid) => {
        pgid = pid;
        ac.abort();
      },
    });
    expect(r.status).toBe('Cancelled');
    expect(pgid).toBeGreaterThan(0);
    // The backgrounded sleep was in the step's process group; nothing of the group survives.
    expect(liveProcessesInGroup(pgid)).toEqual([]);
  });

  it('does not start when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await executor.run({ document: 'Medic-TestSleep', parameters: {}, targets: { instanceIds: ['local'] }, timeoutSeconds: 10, signal: ac.signal });
    expect(r.instances[0]).toMatchObject({ status: 'Cancelled', stdout: '' });
  });

  it('loads the real documents under Medic’s policy', async () => {
    const docs = await loadDocuments(REAL_DOCUMENTS_DIR);
    expect([...docs.keys()]).toContain('Medic-HealthCheck');
  });
});
