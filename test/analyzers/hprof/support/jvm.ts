import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { javaName } from './reference-heap.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../../..');
export const FIXTURES = join(REPO, 'test/fixtures/java/heap');

/** Real JVMs for the heap tests: compile the fixtures once, start shapes, dump them, kill them all at the end. */
export class JvmLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'medic-heap-'));
  private procs: ChildProcess[] = [];

  async compile(extraSources: Array<{ name: string; text: string }> = []): Promise<void> {
    const { writeFileSync } = await import('node:fs');
    const files = [join(FIXTURES, 'HeapShapes.java')];
    for (const s of extraSources) {
      const f = join(this.dir, s.name);
      writeFileSync(f, s.text);
      files.push(f);
    }
    await run('javac', ['-d', join(this.dir, 'classes'), ...files]);
  }

  /** Start `java <main> args`, resolve with its pid once it prints READY. */
  start(main: string, args: string[], xmx = '128m', jvmArgs: string[] = []): Promise<number> {
    const p = spawn('java', [`-Xmx${xmx}`, '-XX:+UseG1GC', ...jvmArgs, '-cp', join(this.dir, 'classes'), main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(p);
    return new Promise((res, rej) => {
      let out = '';
      let err = '';
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('READY')) res(p.pid!);
      });
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => rej(new Error(`java ${main} exited with ${code}: ${err}`)));
    });
  }

  /**
   * `jcmd GC.heap_dump` then `jmap -histo:live`, back to back, on a quiet JVM. Two full GCs with a pause come
   * first: objects that die with a GC but are only freed after the Cleaner thread runs (call-site contexts,
   * phantom cleanables) would otherwise be in the dump and gone by the histogram.
   */
  async dumpAndHisto(pid: number, name: string, gz = false): Promise<{ file: string; histo: Map<string, { instances: number; bytes: number }> }> {
    const file = join(this.dir, name);
    await run('jcmd', [String(pid), 'GC.run']);
    await new Promise((r) => setTimeout(r, 300));
    await run('jcmd', [String(pid), 'GC.run']);
    await run('jcmd', [String(pid), 'GC.heap_dump', ...(gz ? ['-gz=1'] : []), file]);
    const { stdout } = await run('jmap', ['-histo:live', String(pid)], { maxBuffer: 64 << 20 });
    return { file, histo: parseHisto(stdout) };
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  stopJvms(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    this.procs = [];
  }

  killAll(): void {
    this.stopJvms();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `jmap -histo` lines ("  1:  11327  465824  [B (java.base@17.0.15)") keyed by Java-form class name. */
export function parseHisto(text: string): Map<string, { instances: number; bytes: number }> {
  const out = new Map<string, { instances: number; bytes: number }>();
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (!m) continue;
    // Hidden classes print `/0x…` in jmap and `+0x…` in HPROF; javaName maps both to `/0x…`.
    const name = javaName(m[3].replace('/0x', '+0x').replace(/\./g, '/'));
    const prev = out.get(name) ?? { instances: 0, bytes: 0 };
    out.set(name, { instances: prev.instances + Number(m[1]), bytes: prev.bytes + Number(m[2]) });
  }
  return out;
}
