import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs one runShellScript step the way the SSM agent does: the lines written to `_script.sh`, run by `sh`, with the
 * parameters as environment variables. The process gets its own process group so a timeout or a cancel kills the
 * whole tree (curl, sleep, find), not just the shell.
 */

export interface ShellStepOptions {
  script: string;
  /** Environment of the step. Deliberately not merged with this process's: the bot's secrets stay out. */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  shell?: string;
  workingDirectory?: string;
  /** Per stream; beyond it output is dropped (SSM itself keeps only the start inline). */
  maxOutputBytes?: number;
  /** Called once the process is running, with its pid (= its process group id). */
  onSpawn?: (pid: number) => void;
}

export interface ShellStepResult {
  /** null when the process was killed (timeout, cancel) or could not start. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  pid?: number;
  /** Why the step could not start, e.g. the shell is missing. */
  spawnError?: string;
}

/** Grace between SIGTERM and SIGKILL, so scripts can clean up but never outlive a cancel for long. */
const KILL_GRACE_MS = 1000;

export function baseStepEnvironment(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? '/root',
  };
  for (const k of ['LANG', 'TMPDIR', 'USER', 'LOGNAME'] as const) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

export async function runShellStep(opts: ShellStepOptions): Promise<ShellStepResult> {
  const started = Date.now();
  if (opts.signal?.aborted) return { exitCode: null, stdout: '', stderr: '', timedOut: false, cancelled: true, durationMs: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'medic-step-'));
  const scriptPath = join(dir, '_script.sh');
  await writeFile(scriptPath, opts.script, { mode: 0o700 });
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  try {
    return await new Promise<ShellStepResult>((resolve) => {
      const child = spawn(opts.shell ?? 'sh', [scriptPath], {
        cwd: opts.workingDirectory ?? dir,
        env: opts.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let timedOut = false;
      let cancelled = false;
      let spawnError: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      child.stdout.on('data', (b: Buffer) => {
        if (outBytes < max) out.push(b.subarray(0, max - outBytes));
        outBytes += b.length;
      });
      child.stderr.on('data', (b: Buffer) => {
        if (errBytes < max) err.push(b.subarray(0, max - errBytes));
        errBytes += b.length;
      });
      const killGroup = (sig: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, sig);
        } catch {
          // ESRCH: the group is already gone, which is what we wanted.
        }
      };
      const stop = (): void => {
        killGroup('SIGTERM');
        killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, opts.timeoutMs);
      const onAbort = (): void => {
        cancelled = true;
        stop();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('spawn', () => {
        if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      });
      child.on('error', (e) => {
        spawnError = e.message;
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        // Anything the shell left behind in its group goes with it.
        killGroup('SIGKILL');
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({
          exitCode: timedOut || cancelled ? null : code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8') + (spawnError ? `${spawnError}\n` : ''),
          timedOut,
          cancelled,
          durationMs: Date.now() - started,
          pid: child.pid,
          spawnError,
        });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
