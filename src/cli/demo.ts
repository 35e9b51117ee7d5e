import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { createLocalSpace } from '../local-space/local-space.js';
import { createLogger } from '../logger.js';
import { startMedic } from '../main.js';
import { assertRedisReachable } from '../queue/redis.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

const USAGE = `usage: medic demo [--port <port>]          (npm run demo -- --port <port>)

  --port <port>   port of the local Webex-like space and its page (default 8080, or MEDIC_DEMO_PORT;
                  0 picks a free one). Medic's own HTTP API listens on PORT (default: a free port).
  -h, --help      this help
Redis: REDIS_URL when reachable, else a private redis-server. Ctrl-C stops everything the demo started.`;

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..').replace(/\/dist$/, '');

async function freePort(): Promise<number> {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.once('error', rej);
  });
}

/** Redis for the demo: REDIS_URL when reachable, else a private redis-server on a free port, else how to get one. */
async function demoRedis(io: CliIo): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  try {
    await assertRedisReachable(url, 2_000);
    return { url, stop: async () => undefined };
  } catch {
    const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    if (which.status !== 0) {
      throw new Error(`No Redis at ${url} and no redis-server on this machine.\n  Install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.`);
    }
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'medic-demo-redis-'));
    const child: ChildProcess = spawn(which.stdout.trim(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const privateUrl = `redis://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await assertRedisReachable(privateUrl, 500);
        break;
      } catch (e) {
        if (i > 40) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    io.stdout(`Started a private redis-server on port ${port} (no Redis at ${url}).\n`);
    return {
      url: privateUrl,
      stop: async () => {
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * The demo's JVM (config/demo-jvm/MedicDemoApp.java, a single-file source launch) for `jvm threads demo this-host`
 * and `jvm heap demo this-host`, when this machine has a `java`. Its command line carries `medic-demo-jvm`, the
 * pattern config/demo.yaml names.
 */
function demoJvm(io: CliIo): { stop: () => Promise<void> } {
  const which = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' });
  if (which.status !== 0) {
    io.stdout('No `java` on this machine: the demo runs without its JVM (`jvm threads demo this-host` will say so).\n');
    return { stop: async () => undefined };
  }
  const child = spawn(which.stdout.trim(), ['-Xmx128m', join(ROOT, 'config', 'demo-jvm', 'MedicDemoApp.java'), 'medic-demo-jvm'], { stdio: 'ignore' });
  child.on('error', (e) => io.stdout(`The demo JVM did not start: ${e.message}\n`));
  return { stop: () => stopChild(child) };
}

/** SIGTERM, and wait until the process is gone: the demo leaves nothing running behind it. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await exited;
}

/** Undo steps of what the demo started so far, run in reverse order when it stops or fails to start. */
type Stop = () => Promise<void> | void;

/**
 * `npm run demo`: the local Webex-compatible space, Redis, and the real bot pointed at the space, with the local
 * executor against this host. Prints the URL to open; Ctrl-C (or SIGTERM) stops everything it started. The space's
 * port is taken first: when it is in use the demo says so and how to pick another, before starting anything else.
 */
export async function runDemo(args: string[], io: CliIo, opts: { signal?: AbortSignal } = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { port: { type: 'string' } }, { needs: { port: 'a port number (0 = any free port)' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic demo', e.message, USAGE);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1) return usageError(io, 'medic demo', `unexpected argument ${JSON.stringify(parsed.positionals[1])}`, USAGE);
  const portText = parsed.values.port ?? parsed.positionals[0] ?? process.env.MEDIC_DEMO_PORT ?? '8080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return usageError(io, 'medic demo', `the port must be a number from 0 to 65535, not ${JSON.stringify(portText)}`, USAGE);
  const port = Number(portText);

  const stops: Stop[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  let space;
  try {
    space = await createLocalSpace({ port, host: '127.0.0.1' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const other = port === 8080 ? 8081 : port + 1;
    io.stderr(
      `medic demo: port ${port} on 127.0.0.1 is taken by another program, so the demo cannot serve its page there.\n` +
        `  Stop that program, or pick another port: npm run demo -- --port ${other}   (or MEDIC_DEMO_PORT=${other}; --port 0 takes any free port)\n`,
    );
    return 1;
  }
  stops.push(() => space.close());
  try {
    // The demo's database: this host's PostgreSQL unless told otherwise (`db health demo/main`).
    process.env.MEDIC_DEMO_DB_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    const redis = await demoRedis(io);
    stops.push(() => redis.stop());
    const jvm = demoJvm(io);
    stops.push(() => jvm.stop());
    const configPath = process.env.MEDIC_CONFIG ?? join(ROOT, 'config', 'demo.yaml');
    const config = loadConfig(
      {
        ...process.env,
        WEBEX_TOKEN: space.botToken,
        WEBEX_API_URL: space.hydraUrl,
        WEBEX_WEBHOOK_SECRET: `demo-${Math.random().toString(36).slice(2)}-${Date.now()}`,
        WEBEX_WEBHOOK_URL: undefined,
        PORT: process.env.PORT ?? '0',
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        MEDIC_CONFIG: configPath,
        MEDIC_QUEUE_PREFIX: process.env.MEDIC_QUEUE_PREFIX ?? 'medic-demo',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      (p) => readFileSync(p, 'utf8'),
    );
    const medic = await startMedic(config, { log: createLogger(config.env.LOG_LEVEL), webhookUrl: (p) => `http://127.0.0.1:${p}/webex` });
    stops.push(() => medic.stop());
    io.stdout(
      `\nMedic demo is running.\n  Open ${space.url}/ and type \`help\`, \`ping\` or \`health demo\` in the "Medic demo" space.\n` +
        `  Switch between Alice (operator) and Bob (admin, can approve) at the top of the page.\n  Medic's own HTTP API: http://127.0.0.1:${medic.port}/healthz, /metrics\n  Ctrl-C stops everything.\n`,
    );
    await new Promise<void>((res) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        res();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      opts.signal?.addEventListener('abort', stop, { once: true });
    });
    io.stdout('\nStopping the demo…\n');
    return 0;
  } finally {
    await stopAll();
  }
}
