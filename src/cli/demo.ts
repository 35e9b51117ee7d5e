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
import type { CliIo } from './run.js';

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
        child.kill('SIGTERM');
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
function demoJvm(io: CliIo): { stop: () => void } {
  const which = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' });
  if (which.status !== 0) {
    io.stdout('No `java` on this machine: the demo runs without its JVM (`jvm threads demo this-host` will say so).\n');
    return { stop: () => undefined };
  }
  const child = spawn(which.stdout.trim(), ['-Xmx128m', join(ROOT, 'config', 'demo-jvm', 'MedicDemoApp.java'), 'medic-demo-jvm'], { stdio: 'ignore' });
  child.on('error', (e) => io.stdout(`The demo JVM did not start: ${e.message}\n`));
  return { stop: () => void child.kill('SIGTERM') };
}

/**
 * `npm run demo`: the local Webex-compatible space, Redis, and the real bot pointed at the space, with the local
 * executor against this host. Prints the URL to open; Ctrl-C stops everything it started.
 */
export async function runDemo(args: string[], io: CliIo): Promise<number> {
  const port = Number(process.env.MEDIC_DEMO_PORT ?? args[0] ?? 8080);
  // The demo's database: this host's PostgreSQL unless told otherwise (`db health demo/main`).
  process.env.MEDIC_DEMO_DB_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const redis = await demoRedis(io);
  const jvm = demoJvm(io);
  const space = await createLocalSpace({ port, host: '127.0.0.1' });
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
  io.stdout(
    `\nMedic demo is running.\n  Open ${space.url}/ and type \`help\`, \`ping\` or \`health demo\` in the "Medic demo" space.\n` +
      `  Switch between Alice (operator) and Bob (admin, can approve) at the top of the page.\n  Medic's own HTTP API: http://127.0.0.1:${medic.port}/healthz, /metrics\n  Ctrl-C stops everything.\n`,
  );
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.stdout('\nStopping the demo…\n');
  await medic.stop();
  await space.close();
  jvm.stop();
  await redis.stop();
  return 0;
}
