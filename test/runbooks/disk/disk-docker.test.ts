import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor, LOCAL_INSTANCE_ID } from '../../../src/executors/local.js';
import { planCaps } from '../../../src/core/kinds/disk.js';
import type { DiskCleanupPolicy } from '../../../src/core/inventory.js';
import { runDiskCheck } from '../../../src/runbooks/disk/disk-check.js';
import { runDiskCleanup } from '../../../src/runbooks/disk/disk-cleanup.js';
import { healthContext } from '../health/context.js';
import { makeFilesystems, type TestFilesystems } from './disk-fs.js';

/**
 * Docker's part of Medic-Disk. No docker engine runs on this host, so a stand-in `docker` first on PATH answers
 * `info`, `system df` and the prune commands the way the real CLI prints them, and logs every call: the test
 * checks what Medic asked docker to do, and what it made of docker's answers. (The real engine is "not checked":
 * disk.test.ts covers that.)
 */

let bin: string;
/** The engine's data-root lives on this test's tmpfs, so the plan counts docker there (and the scan stays small). */
let fs: TestFilesystems;
let root: string;
const savedPath = process.env.PATH;
const policy: DiskCleanupPolicy = { docker: { images: 'dangling', containers: true, buildCache: false } };

function ctx(p: DiskCleanupPolicy = policy) {
  return healthContext(createLocalExecutor(), { t: { tiers: { app: { targets: { instanceIds: [LOCAL_INSTANCE_ID] }, names: { local: 'this-host' }, cleanup: p } } } });
}

beforeAll(() => {
  bin = mkdtempSync('/tmp/medic-fake-docker-');
  fs = makeFilesystems(16, 8);
  root = join(fs.tmpfs, 'docker');
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh
echo "$*" >> "${bin}/calls"
case "$1 $2" in
  "info --format") echo "${root}" ;;
  "info "*) exit 0 ;;
  "system df") printf 'Images\\t12\\t3\\t4.5GB\\t2.5GB (55%%)\\nContainers\\t5\\t2\\t1.2GB\\t500MB (41%%)\\nLocal Volumes\\t2\\t2\\t100MB\\t0B (0%%)\\nBuild Cache\\t40\\t0\\t800MB\\t800MB\\n' ;;
  "container prune") echo "Deleted Containers:"; echo abc; echo "Total reclaimed space: 500MB" ;;
  "image prune") echo "Total reclaimed space: 2.4GB" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  // The local executor passes this process's PATH to the document's shell.
  process.env.PATH = `${bin}:${savedPath}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
  fs?.cleanup();
});

describe('docker in disk and disk cleanup', () => {
  it('reports docker’s usage and plans the allowed prunes with docker’s own estimate', async () => {
    const r = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx());
    expect(r.docker.reachable).toBe(true);
    expect(r.docker.types).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Images', count: 12, active: 3, bytes: 4.5e9, reclaimableBytes: 2.5e9 }), expect.objectContaining({ type: 'Build Cache', reclaimableBytes: 8e8 })]));
    // Images (dangling) and stopped containers are allowed, the build cache is not.
    expect(r.plan).toEqual([expect.objectContaining({ action: 'docker', path: root, mount: fs.tmpfs, bytes: 2.5e9 + 5e8, exact: false })]);
  }, 120_000);

  it('prunes what the allow-list names, and reports what docker says it reclaimed', async () => {
    const check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx());
    writeFileSync(join(bin, 'calls'), '');
    const r = await runDiskCleanup({ kind: 'disk.cleanup', env: 't', target: 'this-host', mount: fs.tmpfs, caps: planCaps(check.plan), policy }, ctx());
    expect(r.outcome).toBe('cleaned');
    expect(r.applied).toEqual([expect.objectContaining({ action: 'docker', bytes: 5e8 + 2.4e9, failures: 0 })]);
    const calls = readFileSync(join(bin, 'calls'), 'utf8').split('\n').filter(Boolean);
    expect(calls).toContain('container prune -f');
    expect(calls).toContain('image prune -f');
    expect(calls.some((c) => c.startsWith('builder') || c.includes('prune -a'))).toBe(false);
  }, 120_000);

  it('counts a prune docker refuses as a failure, with docker’s message, and keeps what the others freed', async () => {
    const withCache: DiskCleanupPolicy = { docker: { images: 'dangling', containers: false, buildCache: true } };
    const check = await runDiskCheck({ kind: 'disk.check', env: 't', target: 'this-host', mount: fs.tmpfs }, ctx(withCache));
    expect(check.plan).toEqual([expect.objectContaining({ action: 'docker', bytes: 2.5e9 + 8e8 })]);
    // The stand-in knows no `builder prune`: it fails the way docker fails, on stderr with a non-zero exit.
    const r = await runDiskCleanup({ kind: 'disk.cleanup', env: 't', target: 'this-host', mount: fs.tmpfs, caps: planCaps(check.plan), policy: withCache }, ctx(withCache));
    expect(r.applied).toEqual([expect.objectContaining({ action: 'docker', bytes: 2.4e9, failures: 1, error: expect.stringContaining('unexpected: builder prune -f') })]);
    expect(r.failures).toBe(1);
  }, 120_000);
});
