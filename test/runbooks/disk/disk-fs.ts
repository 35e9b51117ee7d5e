import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Filesystems a disk test makes and owns: a loop-mounted ext4 image and a tmpfs, under one fresh directory in /tmp.
 * Needs root (mount); `cleanup()` unmounts and removes everything, also after a failed test.
 */
export interface TestFilesystems {
  root: string;
  ext4: string;
  tmpfs: string;
  cleanup(): void;
}

export function makeFilesystems(ext4Mb = 64, tmpfsMb = 16, inodes?: number): TestFilesystems {
  const root = mkdtempSync('/tmp/medic-disk-');
  const image = join(root, 'ext4.img');
  const ext4 = join(root, 'ext4');
  const tmpfs = join(root, 'tmpfs');
  mkdirSync(ext4);
  mkdirSync(tmpfs);
  execFileSync('truncate', ['-s', `${ext4Mb}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', ...(inodes ? ['-N', String(inodes)] : []), image]);
  execFileSync('mount', ['-o', 'loop', image, ext4]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsMb}m`, 'tmpfs', tmpfs]);
  return {
    root,
    ext4,
    tmpfs,
    cleanup() {
      for (const m of [ext4, tmpfs]) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          // not mounted (a failed setup): nothing to undo
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const DAY = 86_400;

/** Writes `bytes` of incompressible data and dates the file `ageDays` back. */
export function writeAged(path: string, bytes: number, ageDays = 0): void {
  writeFileSync(path, randomBytesOf(bytes));
  if (ageDays > 0) {
    const t = Date.now() / 1000 - ageDays * DAY;
    utimesSync(path, t, t);
  }
}

function randomBytesOf(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  return b;
}

/** Allocated bytes, as df and the plan count them. */
export function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

/**
 * Every entry under `dir` (not following symlinks) with its type and a content hash, so a test can prove that
 * nothing outside the allow-list changed: files by content and mtime, symlinks by target, directories by presence.
 */
export function manifest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(p, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(p, 'dir');
        walk(p);
      } else out.set(p, `file ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

/**
 * A real process holding a log open for writing after the log was deleted (the Tomcat classic): a shell opens
 * fd 3 on the file and becomes `sleep`, which inherits it. Resolves once the file is deleted and still open.
 */
export async function holdDeletedLog(path: string, bytes: number): Promise<{ child: ChildProcess; pid: number; fd: number }> {
  writeFileSync(path, randomBytesOf(bytes));
  const child = spawn('sh', ['-c', 'exec 3>>"$0"; exec sleep 600', path], { stdio: 'ignore' });
  const pid = child.pid!;
  // Wait until sleep runs with fd 3 on the file.
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' && readlinkSync(`/proc/${pid}/fd/3`) === path) break;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  rmSync(path);
  return { child, pid, fd: 3 };
}
