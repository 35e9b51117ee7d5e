import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../src/cli.js';

// The real bin (`npx medic` runs bin/medic.js) in a child process: from the TypeScript sources, as after `npm ci`.
// Each start compiles the sources (seconds on a busy machine), so the tables call the same entry point in-process.
const BIN = resolve(import.meta.dirname, '../../bin/medic.js');

interface Outcome {
  code: number | null;
  out: string;
  err: string;
  pid: number;
}

/**
 * Runs the bin in its own process group, so the test can check afterwards that nothing of it is left running. A
 * bin still running after 45 s has hung (something it started keeps it alive): its group is killed, code null.
 */
function medic(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, 45_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: hung ? null : code, out, err, pid: child.pid! });
    });
  });
}

async function inProcess(args: string[]): Promise<Omit<Outcome, 'pid'>> {
  let out = '';
  let err = '';
  const code = await cli(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

/**
 * Whether a process of the group `pgid` is still alive once given 10 s to go: tsx's esbuild service leaves a moment
 * after node exits (it sees its stdin close), so a check right at exit would race it.
 */
async function groupLeftAlive(pgid: number): Promise<boolean> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (!groupAlive(pgid)) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return groupAlive(pgid);
}

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SUBCOMMANDS = [
  [['run'], 'usage: medic run'],
  [['analyze', 'threads'], 'usage: medic analyze threads'],
  [['analyze', 'heap'], 'usage: medic analyze heap'],
  [['audit'], 'usage: medic audit'],
  [['alerts', 'dead-letters'], 'usage: medic alerts dead-letters'],
  [['ssm', 'sync'], 'Usage: medic ssm sync'],
  [['demo'], 'usage: medic demo'],
  [['analyze'], 'usage: medic analyze <threads|heap>'],
] as const;

describe('medic --help', () => {
  it('prints the usage on stdout and exits 0, from the bin', async () => {
    const r = await medic(['--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^usage: medic <command>/);
    for (const [words] of SUBCOMMANDS) expect(r.out).toContain(`medic ${words.join(' ')}`);
  });

  it.each([['-h'], ['help']])('answers %s the same way', async (flag) => {
    expect(await inProcess([flag])).toEqual(await inProcess(['--help']));
  });

  it.each(SUBCOMMANDS)('medic %j --help prints that command\'s usage and exits 0', async (words, usage) => {
    const r = await inProcess([...words, '--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(usage);
  });
});

describe('wrong command lines', () => {
  it('exits 1 from the bin with the unknown option and the usage on stderr', async () => {
    const r = await medic(['--frobnicate']);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toMatch(/^medic: unknown option --frobnicate\n\nusage: medic <command>/);
  });

  it.each([
    [['--frobnicate'], 'medic: unknown option --frobnicate', 'usage: medic <command>'],
    [['frobnicate'], 'medic: unknown command `frobnicate`', 'usage: medic <command>'],
    [[], 'medic: say which command to run', 'usage: medic <command>'],
    [['analyze', 'threads', '--frobnicate', 'x.txt'], 'medic analyze threads: unknown option --frobnicate', 'usage: medic analyze threads'],
    [['analyze', 'heap', 'x.hprof', '--yaml'], 'medic analyze heap: unknown option --yaml', 'usage: medic analyze heap'],
    [['run', 'ping', '--as'], 'medic run: --as needs an email address', 'usage: medic run'],
    [['audit', '--limit', 'many'], 'medic audit: --limit takes a number, not "many"', 'usage: medic audit'],
    [['audit', 'yesterday'], 'medic audit: unexpected argument "yesterday"', 'usage: medic audit'],
    [['alerts', 'dead-letters', '--json=yes'], 'medic alerts dead-letters: --json takes no value', 'usage: medic alerts dead-letters'],
    [['ssm', 'sync', '--bogus'], 'medic ssm sync: unknown option --bogus', 'Usage: medic ssm sync'],
    [['demo', '--port', 'eighty'], 'medic demo: the port must be a number from 0 to 65535, not "eighty"', 'usage: medic demo'],
    [['analyze', 'stacks'], 'medic analyze: unknown subcommand `stacks`; the subcommands are threads, heap', 'usage: medic analyze'],
  ])('medic %j exits 1 with what was wrong and the usage on stderr', async (args, message, usage) => {
    const r = await inProcess([...args]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe(message);
    expect(r.err).toContain(usage);
  });
});

describe('medic demo on a taken port', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it.each([
    ['--port', (p: number) => ['demo', '--port', String(p)], {}],
    ['MEDIC_DEMO_PORT', () => ['demo'], { MEDIC_DEMO_PORT: 'PORT' }],
  ] as const)('says which port is taken and how to pick another (%s), exits 1 and leaves nothing running', async (_how, args, env) => {
    const r = await medic(args(port), Object.fromEntries(Object.entries(env).map(([k]) => [k, String(port)])));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`medic demo: port ${port} on 127.0.0.1 is taken by another program`);
    expect(r.err).toContain(`npm run demo -- --port ${port + 1}`);
    expect(r.err).toContain(`MEDIC_DEMO_PORT=${port + 1}`);
    expect(r.out).not.toContain('Medic demo is running');
    // The process ended by itself (nothing kept it alive) and no process it started (redis-server, java) is left.
    expect(await groupLeftAlive(r.pid)).toBe(false);
    // The port is still the other program's.
    expect(taken.listening).toBe(true);
  });
});
