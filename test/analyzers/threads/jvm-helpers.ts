import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Java programs the thread tests and the benchmark start (test/fixtures/java/threads/). */
export const JAVA_SOURCES = path.resolve(import.meta.dirname, '../../fixtures/java/threads');

/** Small, quick JVMs: several run at once on a 2-core machine shared with other engineers. */
export const SMALL_JVM_FLAGS = ['-Xss256k', '-Xmx48m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

export interface CompiledPrograms {
  dir: string;
  cleanup: () => void;
}

export async function compileThreadPrograms(): Promise<CompiledPrograms> {
  const dir = mkdtempSync(path.join(tmpdir(), 'medic-threads-'));
  const sources = readdirSync(JAVA_SOURCES).filter((f) => f.endsWith('.java')).map((f) => path.join(JAVA_SOURCES, f));
  await run('javac', ['-d', dir, ...sources]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningJvm {
  pid: number;
  child: ChildProcess;
  kill: () => void;
}

/** Starts `java <mainClass>` and resolves once it prints READY (its scenario is in place), rejects if it dies first. */
export function startJvm(classDir: string, mainClass: string, args: string[] = [], flags = SMALL_JVM_FLAGS, readyTimeoutMs = 120_000): Promise<RunningJvm> {
  const child = spawn('java', [...flags, '-cp', classDir, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${mainClass} did not print READY within ${readyTimeoutMs} ms; stderr: ${err}`));
    }, readyTimeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) {
        clearTimeout(timer);
        resolve({ pid: child.pid!, child, kill });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mainClass} exited with ${code} before READY; stderr: ${err}`));
    });
  });
}

export async function jcmdThreadPrint(pid: number): Promise<string> {
  return (await run('jcmd', [String(pid), 'Thread.print', '-l'], { maxBuffer: 512 * 1024 * 1024 })).stdout;
}

export async function jstackL(pid: number): Promise<string> {
  return (await run('jstack', ['-l', String(pid)], { maxBuffer: 512 * 1024 * 1024 })).stdout;
}

export async function topThreads(pid: number): Promise<string> {
  return (await run('top', ['-H', '-b', '-n', '1', '-p', String(pid)], { env: { ...process.env, COLUMNS: '200' } })).stdout;
}

/** What the JVM itself says, read from the raw text with the simplest possible patterns (the test's oracle). */
export function jvmFacts(text: string): { headers: number; states: Record<string, number>; deadlocks: string[][] } {
  const lines = text.split('\n');
  const headers = lines.filter((l) => l.startsWith('"') && l.includes(' tid=')).length;
  const states: Record<string, number> = {};
  for (const l of lines) {
    const m = /^\s+java\.lang\.Thread\.State: (\w+)/.exec(l);
    if (m) states[m[1]] = (states[m[1]] ?? 0) + 1;
  }
  const deadlocks: string[][] = [];
  let current: string[] | undefined;
  for (const l of lines) {
    if (l.startsWith('Found one Java-level deadlock')) deadlocks.push((current = []));
    else if (l.startsWith('Java stack information')) current = undefined;
    else if (current) {
      const m = /^"(.+)":$/.exec(l);
      if (m) current.push(m[1]);
    }
  }
  return { headers, states, deadlocks };
}
