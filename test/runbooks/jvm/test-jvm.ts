import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InventorySchema, type Inventory } from '../../../src/core/inventory.js';
import type { Executor } from '../../../src/core/executor.js';
import type { Logger } from '../../../src/core/ports.js';
import type { RunbookContext, RunbookServices } from '../../../src/core/runbook.js';

/**
 * Real JVMs for the jvm runbook tests: test/fixtures/java/jvm/MedicTestJvm.java compiled once per test file, each
 * JVM small (-Xmx64m) and marked with a unique word on its command line so `pgrep -f` finds exactly it.
 */
export const FIXTURE = fileURLToPath(new URL('../../fixtures/java/jvm/MedicTestJvm.java', import.meta.url));

export interface TestJvm {
  proc: ChildProcess;
  pid: number;
  marker: string;
  stop(): void;
}

export function compileTestJvm(): { classes: string; cleanup(): void } {
  const classes = mkdtempSync(join(tmpdir(), 'medic-test-jvm-'));
  execFileSync('javac', ['-d', classes, FIXTURE], { stdio: 'pipe' });
  return { classes, cleanup: () => rmSync(classes, { recursive: true, force: true }) };
}

/** The java command line of a test JVM, as a restart command would run it. */
export function javaArgs(classes: string, marker: string, options: string[], jvmOptions: string[] = []): string[] {
  return ['-Xmx64m', '-XX:+UseSerialGC', ...jvmOptions, '-cp', classes, 'MedicTestJvm', marker, ...options];
}

/** Starts a test JVM and resolves once it printed READY (its deadlock, leak and health endpoint are in place). */
export async function startTestJvm(classes: string, marker: string, options: string[] = [], jvmOptions: string[] = []): Promise<TestJvm> {
  const proc = spawn('java', javaArgs(classes, marker, options, jvmOptions), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('READY')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`test JVM exited with ${code}: ${err}`)));
  });
  return { proc, pid: proc.pid!, marker, stop: () => proc.kill('SIGKILL') };
}

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

/** A runbook context over real services; the inventory goes through the real schema. */
export function jvmContext(services: RunbookServices | Executor, inventory: unknown, jobId = 'r-testjob'): RunbookContext & { notes: Array<{ note: string; fraction?: number }> } {
  const notes: Array<{ note: string; fraction?: number }> = [];
  return {
    jobId,
    actor: { type: 'person', email: 'ana@example.com' },
    signal: new AbortController().signal,
    inventory: InventorySchema.parse(inventory) as Inventory,
    services: 'run' in services ? { executor: services } : services,
    log: silent,
    clock: { now: () => Date.now() },
    progress: async (note, fraction) => {
      notes.push({ note, ...(fraction !== undefined ? { fraction } : {}) });
    },
    workerId: 'test:1',
    notes,
  };
}
