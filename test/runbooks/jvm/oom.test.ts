import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jvmOomCard } from '../../../cards/jvm-oom-card.js';
import { UserError } from '../../../src/core/errors.js';
import { createLocalExecutor } from '../../../src/executors/local.js';
import { createDumpFiles } from '../../../src/executors/s3-files.js';
import { runJvmOom } from '../../../src/runbooks/jvm/oom.js';
import { cardText, expectValidCard } from '../../support/adaptive-card.js';
import { compileTestJvm, javaArgs, jvmContext, startTestJvm, type TestJvm } from './test-jvm.js';

let compiled: ReturnType<typeof compileTestJvm>;
let work: string;
const started: TestJvm[] = [];

beforeAll(() => {
  compiled = compileTestJvm();
  work = mkdtempSync(join(tmpdir(), 'medic-oom-'));
}, 120_000);
afterAll(() => {
  for (const j of started) j.stop();
  // JVMs the restart command started are not our children: stop them by the pid the command recorded.
  for (const f of readdirSync(work, { recursive: true }) as string[]) {
    if (!f.endsWith('jvm.pid')) continue;
    const pid = Number(readFileSync(join(work, f), 'utf8'));
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(work, { recursive: true, force: true });
  compiled?.cleanup();
});

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** A restart command as an operator would configure it: stop the JVM of the pid file, start a new one. */
function writeRestartScript(dir: string, marker: string, port: number): string {
  const path = join(dir, 'restart-jvm.sh');
  const java = ['java', ...javaArgs(compiled.classes, marker, [`port=${port}`])].join(' ');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `D=${dir}`,
      'OLD=$(cat "$D/jvm.pid")',
      'kill "$OLD" 2>/dev/null',
      'while kill -0 "$OLD" 2>/dev/null; do sleep 0.2; done',
      `nohup ${java} >"$D/jvm.out" 2>&1 &`,
      'echo $! >"$D/jvm.pid"',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const meta = { jobId: 'r-oom', requestedBy: 'bob@example.com', now: 0 };

describe('jvm oom on this host', () => {
  it('picks up the dump the JVM wrote at its OutOfMemoryError, restarts it by command, waits for its health URL, and names the leak', async () => {
    const dir = mkdtempSync(join(work, 'ok-'));
    const marker = `medic-oom-ok-${process.pid}`;
    const port = await freePort();
    const oomDumps = join(dir, 'oom-dumps');
    mkdirSync(oomDumps);
    const jvm = await startTestJvm(compiled.classes, marker, ['oom', `port=${port}`], ['-XX:+HeapDumpOnOutOfMemoryError', `-XX:HeapDumpPath=${oomDumps}`]);
    started.push(jvm);
    writeFileSync(join(dir, 'jvm.pid'), String(jvm.pid));
    const oomFile = join(oomDumps, `java_pid${jvm.pid}.hprof`);
    expect(statSync(oomFile).size).toBeGreaterThan(1024 * 1024);
    const inventory = {
      demo: { tiers: { app: { targets: { instanceIds: ['local'] }, names: { local: 'this-host' }, jvm: { process: marker, restart: { method: 'command', command: writeRestartScript(dir, marker, port) }, healthUrl: `http://127.0.0.1:${port}/health` } } } },
    };
    const ctx = jvmContext({ executor: createLocalExecutor(), dumps: createDumpFiles({ localDir: join(dir, 'medic-dumps') }) }, inventory);
    const result = await runJvmOom({ kind: 'jvm.oom', env: 'demo', target: 'this-host' }, ctx);

    expect(result.failedStep).toBeUndefined();
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([['dump', 'ok'], ['restart', 'ok'], ['health', 'ok'], ['analysis', 'ok']]);
    expect(result.facts).toMatchObject({ source: 'existing', dump: { type: 'local', path: oomFile }, dumpBytes: statSync(oomFile).size, pid: jvm.pid });
    // The old JVM is gone, a new one answers its health URL.
    await new Promise<void>((resolve) => (jvm.proc.exitCode !== null || jvm.proc.signalCode !== null ? resolve() : jvm.proc.once('exit', () => resolve())));
    const newPid = Number(readFileSync(join(dir, 'jvm.pid'), 'utf8'));
    expect(newPid).not.toBe(jvm.pid);
    expect(alive(newPid)).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('UP');
    expect(result.steps[2]!.detail).toMatch(new RegExp(`^http://127.0.0.1:${port}/health answered after \\d+ ms$`));
    expect(result.analysis?.status).toBe('done');
    if (result.analysis?.status === 'done') {
      expect(result.analysis.report.leakSuspects[0]).toMatchObject({ className: expect.stringMatching(/^(class MedicTestJvm|java\.util\.HashMap)$/), accumulationPoint: { className: 'java.util.HashMap$Node[]' } });
    }
    // Progress never goes backwards, even through the analysis after the steps before it.
    const fractions = ctx.notes.map((n) => n.fraction).filter((x): x is number => x !== undefined);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    // Every step was reported to the thread as it ended, in order.
    expect(ctx.notes.map((n) => n.note).filter((n) => n.startsWith('Step '))).toEqual([expect.stringMatching(/^Step 1\/4 dump: ok — the JVM’s own OOM dump/), expect.stringMatching(/^Step 2\/4 restart: ok — command/), expect.stringMatching(/^Step 3\/4 health: ok/), expect.stringMatching(/^Step 4\/4 analysis: ok — leak suspect (class MedicTestJvm|java\.util\.HashMap) \([\d.]+%\)$/)]);

    const card = jvmOomCard(result, meta);
    expectValidCard(card);
    expect(cardText(card.card)).toContain('Every step went through.');
  }, 240_000);

  it('stops at a restart that fails, says where, and runs nothing after it', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const marker = `medic-oom-bad-${process.pid}`;
    const jvm = await startTestJvm(compiled.classes, marker, []);
    started.push(jvm);
    const inventory = {
      demo: { tiers: { app: { targets: { instanceIds: ['local'] }, names: { local: 'this-host' }, jvm: { process: marker, restart: { method: 'command', command: `${dir}/no-such-restart-script --now` }, healthUrl: 'http://127.0.0.1:9/health' } } } },
    };
    const ctx = jvmContext({ executor: createLocalExecutor(), dumps: createDumpFiles({ localDir: join(dir, 'medic-dumps') }) }, inventory);
    const result = await runJvmOom({ kind: 'jvm.oom', env: 'demo', target: 'this-host' }, ctx);
    expect(result.failedStep).toBe('restart');
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([['dump', 'ok'], ['restart', 'failed']]);
    expect(result.steps[1]!.detail).toMatch(/^the restart command exited with \d+: .*no-such-restart-script/);
    expect(result.summary).toMatch(/^this-host: OOM remediation stopped at step 2 \(restart\): the restart command exited with/);
    expect(result.facts?.source).toBe('live');
    expect(result.analysis).toBeUndefined();
    // The JVM was dumped, not restarted.
    expect(alive(jvm.pid)).toBe(true);
    const card = jvmOomCard(result, meta);
    expectValidCard(card);
    const text = cardText(card.card);
    expect(text).toContain('Stopped at step 2 (restart); the steps after it did not run.');
    expect(text).toContain('3. health: not run');
    expect(text).toContain('4. analysis: not run');
  }, 240_000);

  it('refuses before touching anything when the tier has no restart method', async () => {
    const ctx = jvmContext(createLocalExecutor(), { demo: { tiers: { app: { targets: { instanceIds: ['local'] }, jvm: { process: 'medic-oom-unused' } } } } });
    const err = await runJvmOom({ kind: 'jvm.oom', env: 'demo', target: 'local' }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('Tier `app` of `demo` has no restart method for its JVM.');
    expect(ctx.notes).toEqual([]);
  });
});
