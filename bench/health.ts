/**
 * `npm run bench:health`: the health runbook through the real AWS SDK against the loopback SSM server (which runs
 * Medic-HealthCheck on this host once per simulated instance), for 1 and 50 instances. Prints wall time and the SSM
 * API calls the runbook made, by operation. The server runs at most 8 simulated instances at once on this host, so
 * the 50-instance time is dominated by this host's cores, not by Medic; the call counts are what carry over to AWS.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { InventorySchema } from '../src/core/inventory.js';
import type { Logger } from '../src/core/ports.js';
import { createSsmExecutor } from '../src/executors/ssm.js';
import { runHealthCheck } from '../src/runbooks/health/health-check.js';
import { REAL_DOCUMENTS_DIR } from '../test/support/fake-aws/paths.js';
import { fakeInstanceIds, startFakeSsm } from '../test/support/fake-aws/ssm-server.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 1000);

async function bench(n: number, maxParallel: number): Promise<void> {
  const ids = fakeInstanceIds(n);
  const server = await startFakeSsm({ instances: ids, documentsDirs: [REAL_DOCUMENTS_DIR], maxParallel });
  const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };
  const ssm = new SSMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 8, retryMode: 'adaptive' });
  const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  const executor = createSsmExecutor({ ssm, s3, pollIntervalMs: POLL_MS });
  const inventory = InventorySchema.parse({ bench: { tiers: { app: { targets: { instanceIds: ids }, jvm: { process: 'org.apache.catalina.startup.Bootstrap', healthUrl: 'http://127.0.0.1:1/health' } } } } });
  const ctx = { jobId: 'bench', actor: { type: 'service' as const, name: 'bench' }, signal: new AbortController().signal, inventory, services: { executor }, log: silent, clock: { now: () => Date.now() }, progress: async () => {}, workerId: 'bench' };
  const started = performance.now();
  const result = await runHealthCheck({ kind: 'health.check', env: 'bench' }, ctx);
  const ms = performance.now() - started;
  const calls = [...server.calls.entries()].sort().map(([op, c]) => `${op} ${c}`).join(', ');
  console.log(`${String(n).padStart(2)} instance${n === 1 ? ' ' : 's'} (${maxParallel} at once on this host, poll ${POLL_MS} ms): ${(ms / 1000).toFixed(2)} s, ${server.totalCalls()} SSM API calls (${calls}); ${result.instances.length} rows, ${result.counts.critical} critical`);
  ssm.destroy();
  s3.destroy();
  await server.close();
}

await bench(1, 8);
await bench(50, 8);
await bench(50, 50);
