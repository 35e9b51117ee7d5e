import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { createMetrics } from '../../src/metrics.js';
import { createHttpApp, listen } from '../../src/transport/http/http-server.js';

const REPO = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', REPO), 'utf8');
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

/** The instruction's text with continuation lines joined. */
function instruction(name: string): string {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith(`${name} `));
  expect(line, `the Dockerfile has ${name}`).toBeDefined();
  return line!.slice(name.length + 1).trim();
}

describe('the Dockerfile', () => {
  it('runs node directly under tini, so SIGTERM reaches Medic and its drain runs', () => {
    expect(JSON.parse(instruction('ENTRYPOINT'))).toEqual(['/usr/bin/tini', '--']);
    const cmd = JSON.parse(instruction('CMD')) as string[];
    expect(cmd).toEqual(['node', 'dist/src/main.js']);
    // The same file `npm start` runs, and where tsc puts src/main.ts (outDir dist, rootDir .).
    const pkg = JSON.parse(readFileSync(new URL('package.json', REPO), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(cmd.join(' '));
    const tsconfig = readFileSync(new URL('tsconfig.json', REPO), 'utf8');
    expect(tsconfig).toMatch(/"outDir": "dist"/);
    expect(tsconfig).toMatch(/"rootDir": "\."/);
  });

  describe('HEALTHCHECK, run as Docker runs it', () => {
    let server: Server;
    let port: number;
    let closedPort: number;
    const script = /CMD node -e "(.+)"$/.exec(instruction('HEALTHCHECK'))?.[1];

    beforeAll(async () => {
      server = await listen(createHttpApp({ log: silent, metrics: createMetrics(), ready: async () => {}, endpoints: 'admin' }), 0, '127.0.0.1');
      port = (server.address() as { port: number }).port;
      const probe = createServer().listen(0, '127.0.0.1');
      await new Promise((r) => probe.once('listening', r));
      closedPort = (probe.address() as { port: number }).port;
      await new Promise((r) => probe.close(r));
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    async function healthcheck(env: Record<string, string>): Promise<number> {
      expect(script).toBeDefined();
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PORT' && k !== 'MEDIC_ADMIN_PORT'));
      try {
        await promisify(execFile)(process.execPath, ['-e', script!], { env: { ...clean, ...env }, timeout: 20_000 });
        return 0;
      } catch (e) {
        return (e as { code?: number }).code ?? -1;
      }
    }

    it('probes MEDIC_ADMIN_PORT when it is set', async () => {
      expect(await healthcheck({ MEDIC_ADMIN_PORT: String(port), PORT: String(closedPort) })).toBe(0);
      expect(await healthcheck({ MEDIC_ADMIN_PORT: String(closedPort), PORT: String(port) })).toBe(1);
    });

    it('probes PORT otherwise', async () => {
      expect(await healthcheck({ PORT: String(port) })).toBe(0);
      expect(await healthcheck({ PORT: String(closedPort) })).toBe(1);
    });
  });
});
