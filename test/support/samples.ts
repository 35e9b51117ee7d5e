import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { jcmdThreadPrint, jstackL, startJvm, topThreads } from '../analyzers/threads/jvm-helpers.js';

/**
 * The sample dumps the analyzer, card and CLI tests read, made from real JVMs at test time (nothing beside the
 * repository is needed): the programs are test/fixtures/java/samples/. Each kind is made once per test run, by the
 * first test file that asks, in the run's directory (test/support/samples-dir.ts); other test files, in other
 * processes, wait for it and read the same files.
 */

const run = promisify(execFile);
const SOURCES = resolve(import.meta.dirname, '../fixtures/java/samples');

/** Thread dumps of `Deadlock` (see its source): two deadlocks, a hot lock, an idle pool, a busy thread. */
export interface ThreadSamples {
  /** `jstack -l <pid>`, taken first. */
  jstack: string;
  /** `top -H -b -n 1 -p <pid>`, taken right after the first jstack. */
  top: string;
  /** A second `jstack -l <pid>`, taken a measured while later (the busy thread's `cpu=` grows). */
  jstackLater: string;
  /** `jcmd <pid> Thread.print -l`, last. */
  jcmd: string;
}

/** Heap dumps of `SmallLeak 4000` (a static HashMap of 4,000 payloads) under -Xmx64m. */
export interface HeapSamples {
  /** `jcmd <pid> GC.heap_dump` of a quiet JVM (two full GCs first). */
  hprof: string;
  /** `jmap -histo:live <pid>` right after that dump: the oracle for instance counts. */
  histo: string;
  /** A second dump of the same JVM with `GC.heap_dump -gz=1`: a chunked gzip (many gzip members). */
  gz: string;
}

export const LEAK_ENTRIES = 4000;

let ownDir: string | undefined;

/** The run's directory; outside a vitest run with the global setup, one per process, removed at its exit. */
function runDir(): string {
  let dir: string | undefined;
  try {
    dir = inject('medicSamplesDir');
  } catch {
    dir = undefined;
  }
  if (dir) return dir;
  if (!ownDir) {
    const made = mkdtempSync(join(tmpdir(), 'medic-samples-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    ownDir = made;
  }
  return ownDir;
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Makes `name` once per run. The first caller claims it with an atomic mkdir and writes `<name>.json` (by rename)
 * when done, or `<name>.error` when it failed; later callers, in any process, read that.
 */
function once<T>(name: string, make: (dir: string) => Promise<T>): Promise<T> {
  let p = inProcess.get(name) as Promise<T> | undefined;
  if (!p) {
    p = claimOrWait(name, make);
    inProcess.set(name, p);
  }
  return p;
}

async function claimOrWait<T>(name: string, make: (dir: string) => Promise<T>): Promise<T> {
  const base = runDir();
  const done = join(base, `${name}.json`);
  const failed = join(base, `${name}.error`);
  const work = join(base, name);
  try {
    mkdirSync(work);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another test file is making them: the JVMs take seconds, so a look every 100 ms costs nothing.
    for (let waited = 0; waited < 300_000; waited += 100) {
      if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as T;
      if (existsSync(failed)) throw new Error(`making the ${name} samples failed in another test file:\n${readFileSync(failed, 'utf8')}`);
      await delay(100);
    }
    throw new Error(`the ${name} samples were not made within 5 minutes by another test file (${work})`);
  }
  try {
    const result = await make(work);
    writeFileSync(`${done}.tmp`, JSON.stringify(result));
    renameSync(`${done}.tmp`, done);
    return result;
  } catch (e) {
    writeFileSync(failed, (e as Error).stack ?? String(e));
    throw e;
  }
}

/** Paths of the thread samples (files, for the CLI) and their text. */
export function threadSamples(): Promise<{ files: ThreadSamples; text: ThreadSamples }> {
  return once('threads', async (dir) => {
    await run('javac', ['-d', dir, join(SOURCES, 'Deadlock.java')]);
    const jvm = await startJvm(dir, 'Deadlock');
    try {
      const jstack = await jstackL(jvm.pid);
      const top = await topThreads(jvm.pid);
      // CPU per thread is a rate: the second dump needs some wall time after the first to measure it.
      await delay(2_000);
      const jstackLater = await jstackL(jvm.pid);
      const jcmd = await jcmdThreadPrint(jvm.pid);
      const text: ThreadSamples = { jstack, top, jstackLater, jcmd };
      const files = {} as ThreadSamples;
      for (const [k, v] of Object.entries(text) as Array<[keyof ThreadSamples, string]>) {
        files[k] = join(dir, `deadlock.${k}.txt`);
        writeFileSync(files[k], v);
      }
      return { files, text };
    } finally {
      await stop(jvm.child, jvm.kill);
    }
  });
}

/** Paths of the heap samples. */
export function heapSamples(): Promise<HeapSamples> {
  return once('heap', async (dir) => {
    await run('javac', ['-d', dir, join(SOURCES, 'SmallLeak.java')]);
    const jvm = await startJvm(dir, 'SmallLeak', [String(LEAK_ENTRIES)], ['-Xmx64m', '-XX:+UseG1GC']);
    try {
      const pid = String(jvm.pid);
      const s: HeapSamples = { hprof: join(dir, 'small-leak.hprof'), histo: join(dir, 'small-leak.histo-live.txt'), gz: join(dir, 'small-leak.hprof.gz') };
      // Objects that die with a GC but are freed only after the Cleaner thread ran would otherwise be in the dump
      // and gone from the histogram (see test/analyzers/hprof/support/jvm.ts): two full GCs, a pause, then both.
      await run('jcmd', [pid, 'GC.run']);
      await delay(300);
      await run('jcmd', [pid, 'GC.run']);
      await run('jcmd', [pid, 'GC.heap_dump', s.hprof]);
      writeFileSync(s.histo, (await run('jmap', ['-histo:live', pid], { maxBuffer: 64 << 20 })).stdout);
      await run('jcmd', [pid, 'GC.heap_dump', '-gz=1', s.gz]);
      return s;
    } finally {
      await stop(jvm.child, jvm.kill);
    }
  });
}

async function stop(child: import('node:child_process').ChildProcess, kill: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  kill();
  await exited;
}
