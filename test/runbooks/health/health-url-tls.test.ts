import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, RunCommandRequest } from '../../../src/core/executor.js';
import { InventorySchema } from '../../../src/core/inventory.js';
import { createLocalExecutor } from '../../../src/executors/local.js';
import { runHealthCheck } from '../../../src/runbooks/health/health-check.js';
import { runJvmOom } from '../../../src/runbooks/jvm/oom.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';
import { healthContext } from './context.js';

/**
 * `curl -k` only where the inventory opts in: a health URL behind a self-signed certificate fails the TLS check
 * unless its tier says `healthUrlInsecure: true`. Real HTTPS server, real documents run by the local executor.
 */
describe('health URLs with a self-signed certificate', () => {
  let dir: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('UP');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inventory = (insecure?: boolean) => ({
    demo: { tiers: { app: { targets: { instanceIds: ['local'] }, jvm: { process: `medic-tls-none-${process.pid}`, healthUrl: url, ...(insecure === undefined ? {} : { healthUrlInsecure: insecure }) } } } },
  });

  it('verifies the certificate by default: the check says it is not trusted and what to set', async () => {
    const result = await runHealthCheck({ kind: 'health.check', env: 'demo' }, healthContext(createLocalExecutor(), inventory()));
    const row = result.instances[0]!;
    expect(row.readings!.health).toMatchObject({ url, httpStatus: null, curlExit: 60 });
    expect(row.checks.find((c) => c.id === 'health-url')).toMatchObject({ grade: 'critical', value: expect.stringContaining('healthUrlInsecure') });
  });

  it('skips the certificate check when the tier opts in', async () => {
    const result = await runHealthCheck({ kind: 'health.check', env: 'demo' }, healthContext(createLocalExecutor(), inventory(true)));
    expect(result.instances[0]!.readings!.health).toMatchObject({ url, httpStatus: 200, curlExit: 0 });
    expect(result.instances[0]!.checks.find((c) => c.id === 'health-url')).toMatchObject({ grade: 'ok', value: expect.stringContaining('HTTP 200') });
  });

  it('the restart document waits for a trusted answer unless opted in', async () => {
    const executor = createLocalExecutor({ documentsDir: REAL_DOCUMENTS_DIR });
    const run = (extra: Record<string, string>) =>
      executor.run({ document: 'Medic-JvmRestart', parameters: { Method: 'command', Command: '/bin/true', HealthUrl: url, WaitSeconds: '1', ...extra }, targets: { instanceIds: ['local'] }, timeoutSeconds: 60 });
    const verified = (await run({})).instances[0]!;
    expect(verified.exitCode).toBe(11);
    expect(verified.stdout).toMatch(/===MEDIC-STEP health failed .*last status 000/);
    const insecure = (await run({ HealthUrlInsecure: 'true' })).instances[0]!;
    expect(insecure.exitCode).toBe(0);
    expect(insecure.stdout).toMatch(/===MEDIC-STEP health ok .*status=200/);
  });

  it('jvm oom passes the flag to the restart only when the tier opts in', async () => {
    const restarts: RunCommandRequest[] = [];
    // The instance's side: no JVM to dump, then a restart whose health wait succeeded.
    const executor: Executor = {
      async run(req) {
        if (req.document === 'Medic-JvmRestart') restarts.push(req);
        const stdout = req.document === 'Medic-JvmRestart' ? '===MEDIC-STEP restart ok ms=5\n===MEDIC-STEP health ok ms=7 status=200\n' : '===MEDIC-NOJVM\n';
        return { commandId: 'c-1', instances: [{ instanceId: 'i-0123456789abcdef0', status: 'Success', exitCode: 0, stdout, stderr: '', durationMs: 1 }] };
      },
    };
    const tier = (insecure: boolean) => ({ targets: { instanceIds: ['i-0123456789abcdef0'] }, jvm: { process: 'Bootstrap', healthUrl: 'https://app.internal:8443/health', healthUrlInsecure: insecure, restart: { method: 'systemctl', unit: 'tomcat' } } });
    for (const insecure of [false, true]) {
      await runJvmOom({ kind: 'jvm.oom', env: 'demo', target: 'i-0123456789abcdef0' }, healthContext(executor, { demo: { tiers: { app: tier(insecure) } } }));
    }
    expect(restarts.map((r) => r.parameters.HealthUrlInsecure)).toEqual([undefined, 'true']);
  });

  it('refuses healthUrlInsecure without an https health URL, saying what to change', () => {
    const r = InventorySchema.safeParse({ demo: { tiers: { app: { targets: { instanceIds: ['local'] }, jvm: { process: 'Bootstrap', healthUrl: 'http://localhost:8080/health', healthUrlInsecure: true } } } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['demo', 'tiers', 'app', 'jvm', 'healthUrlInsecure'], message: expect.stringContaining('https://') });
  });
});
