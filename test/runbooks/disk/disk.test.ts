import type { ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor, LOCAL_INSTANCE_ID } from '../../../src/executors/local.js';
import { planCaps, type DiskCheckResult } from '../../../src/core/kinds/disk.js';
import type { DiskCleanupPolicy } from '../../../src/core/inventory.js';
import { isUserError } from '../../../src/core/errors.js';
import { createRedisDiskHistory } from '../../../src/queue/disk-history.js';
import { runDiskCheck } from '../../../src/runbooks/disk/disk-check.js';
import { runDiskCleanup } from '../../../src/runbooks/disk/disk-cleanup.js';
import { healthContext } from '../health/context.js';
import { allocated, holdDeletedLog, makeFilesystems, manifest, writeAged, type TestFilesystems } from './disk-fs.js';

/**
 * `disk` and `disk cleanup` through the local executor (the same Medic-Disk document SSM runs) on filesystems this
 * test makes: a loop-mounted ext4 and a tmpfs. The allow-list names <ext4>/logs and <ext4>/dumps; <ext4>/keep is
 * outside it and holds the same hostile names, plus the targets of symlinks planted inside the allow-list.
 */

const HOSTILE = ['with space.log.1', 'new\nline.log.2.gz', '-rf.log.3', '--delete.gz', '$(touch pwned).log.4', "'quote'.gz", '*.gz', 'ünï.log.5'];
const OLD = 30;
const KB = 1024;

let fs: TestFilesystems;
let logs: string;
let dumps: string;
let keep: string;
let holder: { child: ChildProcess; pid: number; fd: number } | undefined;
let redis: Redis;
const prefix = `medic-test-disk-${process.pid}-${Date.now()}`;
/** Files the cleanup must delete, with their allocated bytes. */
const doomed = new Map<string, number>();

function policy(): DiskCleanupPolicy {
  return { rotatedLogs: { paths: [logs], olderThanDays: 7 }, heapDumps: { paths: [dumps], onlyUploaded: true, olderThanDays: 0 }, truncateDeletedOpenFiles: true };
}

function ctx(p: DiskCleanupPolicy = policy(), withHistory = true) {
  const c = healthContext(createLocalExecutor(), {
    t: { tiers: { app: { targets: { instanceIds: [LOCAL_INSTANCE_ID] }, names: { local: 'this-host' }, cleanup: p } } },
  });
  if (withHistory) c.services.diskHistory = createRedisDiskHistory(redis, prefix);
  return c;
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  fs = makeFilesystems();
  logs = join(fs.ext4, 'logs');
  dumps = join(fs.ext4, 'dumps');
  keep = join(fs.ext4, 'keep');
  for (const d of [logs, dumps, keep, join(logs, 'tomcat')]) mkdirSync(d);
  // Inside the allow-list: old rotated logs (hostile names too) are doomed; new ones and live logs stay.
  for (const [i, name] of HOSTILE.entries()) {
    writeAged(join(logs, name), (40 + i) * KB, OLD);
    doomed.set(join(logs, name), allocated(join(logs, name)));
    writeAged(join(keep, name), (40 + i) * KB, OLD);
  }
  writeAged(join(logs, 'tomcat', 'catalina.2026-10-01.log'), 3 * 1024 * KB, OLD);
  doomed.set(join(logs, 'tomcat', 'catalina.2026-10-01.log'), allocated(join(logs, 'tomcat', 'catalina.2026-10-01.log')));
  writeAged(join(logs, 'tomcat', 'catalina.out'), 200 * KB, OLD); // live log name: never a rotated one
  writeAged(join(logs, 'fresh.log.1.gz'), 100 * KB, 1); // rotated, but younger than 7 days
  // A second hard link: deleting the name would free nothing, so it is left alone.
  writeAged(join(keep, 'linked.gz'), 64 * KB, OLD);
  linkSync(join(keep, 'linked.gz'), join(logs, 'linked.log.9.gz'));
  utimesSync(join(logs, 'linked.log.9.gz'), Date.now() / 1000 - OLD * 86_400, Date.now() / 1000 - OLD * 86_400);
  // Symlinks pointing outside: a file link with a rotated name and a directory link full of rotated names.
  writeAged(join(keep, 'victim.gz'), 50 * KB, OLD);
  symlinkSync(join(keep, 'victim.gz'), join(logs, 'evil.log.7.gz'));
  symlinkSync(keep, join(logs, 'escape'));
  symlinkSync('../keep', join(logs, 'escape-relative'));
  // Heap dumps: only the uploaded one (marker beside it) may go.
  writeAged(join(dumps, 'java_pid1.hprof'), 500 * KB, 2);
  writeFileSync(join(dumps, 'java_pid1.hprof.uploaded'), '');
  doomed.set(join(dumps, 'java_pid1.hprof'), allocated(join(dumps, 'java_pid1.hprof')));
  writeAged(join(dumps, 'java_pid2.hprof.gz'), 400 * KB, 2);
  // The biggest file of the mount, outside the allow-list.
  writeAged(join(keep, 'big.bin'), 8 * 1024 * KB);
  writeAged(join(keep, 'huge\nname.bin'), 4 * 1024 * KB);
  // A log deleted while a process still writes it, under the allow-list: found, and truncated by the cleanup.
  holder = await holdDeletedLog(join(logs, 'tomcat', 'app.log'), 700 * KB);
  // tmpfs: a file to find there.
  writeAged(join(fs.tmpfs, 'shm-blob'), 1024 * KB);
});

afterAll(async () => {
  holder?.child.kill('SIGKILL');
  fs?.cleanup();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('disk <env> <target> [mount] on this host', () => {
  let check: DiskCheckResult;

  it('reports the ext4 mount with size, use, inodes, what fills it and the plan, and deletes nothing', async () => {
    const before = manifest(fs.ext4);
    check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.ext4 }, ctx());
    expect(manifest(fs.ext4)).toEqual(before);
    expect(check.mounts).toHaveLength(1);
    const m = check.mounts[0]!;
    expect(m).toMatchObject({ mount: fs.ext4, fsType: 'ext4' });
    expect(m.sizeBytes).toBeGreaterThan(50 * 1024 * KB);
    expect(m.usedBytes).toBeGreaterThan(2 * 1024 * KB);
    expect(m.inodes).toBeGreaterThan(1000);
    expect(m.inodesUsed).toBeGreaterThan(20);
    expect(check.scans).toEqual([expect.objectContaining({ mount: fs.ext4, complete: true })]);
    // Biggest file and directory, the rotated logs and both heap dumps (one uploaded) are listed.
    const files = check.consumers.filter((c) => c.kind === 'file');
    expect(files[0]).toMatchObject({ path: join(keep, 'big.bin') });
    expect(check.consumers.find((c) => c.kind === 'dir')).toMatchObject({ path: keep });
    const dumpsSeen = check.consumers.filter((c) => c.kind === 'dump');
    expect(dumpsSeen).toEqual(expect.arrayContaining([expect.objectContaining({ path: join(dumps, 'java_pid1.hprof'), uploaded: true }), expect.objectContaining({ path: join(dumps, 'java_pid2.hprof.gz'), uploaded: false })]));
    expect(check.scans[0]!.rotated.files).toBeGreaterThanOrEqual(2 * HOSTILE.length);
    // A newline in a name is shown escaped, never breaks the output.
    expect(files[1]).toMatchObject({ path: join(keep, 'huge?name.bin'), bytes: 4 * 1024 * KB });
    expect(check.consumers.some((c) => c.path.includes('\n'))).toBe(false);
    expect(check.docker.reachable).toBe(false);
  });

  it('finds the deleted log still held open, with its process', () => {
    const open = check.deletedOpen.find((o) => o.pid === holder!.pid);
    expect(open).toMatchObject({ fd: 3, process: 'sleep', path: join(logs, 'tomcat', 'app.log'), mount: fs.ext4, underLogPaths: true });
    expect(open!.bytes).toBeGreaterThanOrEqual(700 * KB);
  });

  it('plans exactly the allow-listed files, with their allocated bytes', () => {
    const rotated = check.plan.filter((p) => p.action === 'rotated-logs');
    const expectedLogs = [...doomed].filter(([p]) => p.startsWith(`${logs}/`)).reduce((s, [, b]) => s + b, 0);
    expect(rotated).toEqual([expect.objectContaining({ path: logs, files: HOSTILE.length + 1, bytes: expectedLogs, exact: true })]);
    const heap = check.plan.filter((p) => p.action === 'heap-dumps');
    expect(heap).toEqual([expect.objectContaining({ path: dumps, files: 1, bytes: allocated(join(dumps, 'java_pid1.hprof')) })]);
    const open = check.plan.filter((p) => p.action === 'deleted-open');
    expect(open).toEqual([expect.objectContaining({ pid: holder!.pid, fd: 3, process: 'sleep' })]);
    expect(check.cleanupCommand).toMatch(/^disk cleanup t this-host \/tmp\/medic-disk-[^ ]+\/ext4 plan:rotated-logs=\d+,heap-dumps=\d+,deleted-open=\d+$/);
  });

  it('reports the tmpfs mount on its own', async () => {
    const r = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx());
    expect(r.mounts).toEqual([expect.objectContaining({ mount: fs.tmpfs, fsType: 'tmpfs', sizeBytes: 16 * 1024 * KB })]);
    expect(r.consumers.find((c) => c.kind === 'file')).toMatchObject({ path: join(fs.tmpfs, 'shm-blob'), bytes: 1024 * KB });
    // The allow-listed directories live on the ext4 mount: nothing to plan here.
    expect(r.plan).toEqual([]);
  });

  it('says how much the mount grew since the last reading', async () => {
    const first = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx());
    writeAged(join(fs.tmpfs, 'growth'), 512 * KB);
    const second = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx());
    expect(first.mounts[0]!.growth).not.toBeNull();
    expect(second.mounts[0]!.growth).toMatchObject({ usedBytesDelta: 512 * KB });
  });

  it('refuses a mount that does not exist, saying what to type', async () => {
    const e = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: join(fs.root, 'nope') }, ctx()).catch((x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/is not a mounted real filesystem or tmpfs/);
  });
});

describe('disk cleanup on this host', () => {
  it('refuses as a whole, touching nothing, when the plan grew beyond the approved bytes', async () => {
    const before = manifest(fs.ext4);
    const check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.ext4 }, ctx());
    const caps = planCaps(check.plan);
    // Approved when there was 2 MiB less to delete than there is now (beyond the 1 MiB + 1% slack).
    caps['rotated-logs'] = caps['rotated-logs']! - 2 * 1024 * KB;
    expect(caps['rotated-logs']).toBeGreaterThan(0);
    const r = await runDiskCleanup({ kind: 'disk.cleanup', env: 't', target: 'this-host', mount: fs.ext4, caps, policy: policy() }, ctx());
    expect(r.outcome).toBe('refused-grew');
    expect(r.grew).toEqual([expect.objectContaining({ action: 'rotated-logs', approvedBytes: caps['rotated-logs'] })]);
    expect(r.applied).toEqual([]);
    expect(manifest(fs.ext4)).toEqual(before);
    expect(statSync(`/proc/${holder!.pid}/fd/3`).size).toBeGreaterThanOrEqual(700 * KB);
  });

  it('frees exactly what the plan said, truncates the held log, and changes nothing outside the allow-list', async () => {
    const check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.ext4 }, ctx());
    const planned = check.plan.reduce((s, p) => s + p.bytes, 0);
    const outside = manifest(keep);
    const all = manifest(fs.ext4);
    const r = await runDiskCleanup({ kind: 'disk.cleanup', env: 't', target: 'this-host', mount: fs.ext4, caps: planCaps(check.plan), policy: policy() }, ctx());
    expect(r.outcome).toBe('cleaned');
    expect(r.failures).toBe(0);
    // Per action and in total, the bytes freed are the bytes the dry run showed.
    expect(r.freedBytes).toBe(planned);
    for (const action of ['rotated-logs', 'heap-dumps', 'deleted-open'] as const) {
      expect(r.applied.filter((a) => a.action === action).reduce((s, a) => s + a.bytes, 0)).toBe(planCaps(check.plan)[action]);
    }
    // df agrees within filesystem overhead (directory blocks, journal).
    const b = r.before[0]!;
    const a = r.after[0]!;
    expect(Math.abs(b.usedBytes - a.usedBytes - planned)).toBeLessThanOrEqual(64 * KB);
    // Exactly the doomed files are gone; everything else under the mount is byte-for-byte the same.
    for (const p of doomed.keys()) expect(existsSync(p)).toBe(false);
    expect(existsSync(join(dumps, 'java_pid1.hprof.uploaded'))).toBe(false);
    const expected = new Map([...all].filter(([p]) => !doomed.has(p) && p !== join(dumps, 'java_pid1.hprof.uploaded')));
    expect(manifest(fs.ext4)).toEqual(expected);
    expect(manifest(keep)).toEqual(outside);
    expect(existsSync(join(fs.root, 'pwned'))).toBe(false);
    expect(readlinkSync(join(logs, 'evil.log.7.gz'))).toBe(join(keep, 'victim.gz'));
    // The writer lives on; its deleted file is now empty.
    expect(statSync(`/proc/${holder!.pid}/fd/3`).size).toBe(0);
    expect(holder!.child.exitCode).toBeNull();
  });

  it('has nothing left to do on a second run', async () => {
    const check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.ext4 }, ctx());
    expect(check.plan.reduce((s, p) => s + p.bytes, 0)).toBe(0);
    expect(check.cleanupCommand).toBeNull();
  });

  it('refuses when no cleanup is configured', async () => {
    const e = await runDiskCleanup({ kind: 'disk.cleanup', env: 't', target: 'this-host', caps: 'any', policy: {} }, ctx({})).catch((x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/No cleanup is configured/);
  });
});
