import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { resolve } from 'node:path';
import type { Executor } from './core/executor.js';
import type { RunbookServices } from './core/runbook.js';
import { resolvePgThresholds, type PgHealthThresholdsInput } from './core/pg-port.js';
import { createRdsMetrics } from './executors/cloudwatch.js';
import { createLocalExecutor } from './executors/local.js';
import { createDumpFiles } from './executors/s3-files.js';
import { createKafkaExecutor } from './executors/kafka.js';
import { createPgExecutor } from './executors/pg.js';
import { createRoutingExecutor } from './executors/routing.js';
import { createSsmExecutor } from './executors/ssm.js';

/**
 * Builds the clients runbooks use: SSM (through the routing executor: `local` targets run on this host), S3 for
 * large SSM output, PostgreSQL, CloudWatch. AWS clients take region, credentials and endpoints from the SDK's own
 * environment (AWS_REGION, AWS_ENDPOINT_URL_SSM, ...). Shared by main.ts and the CLI.
 */
export function createRunbookServices(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { executor?: Executor; thresholds?: Record<string, Record<string, unknown>> } = {},
): RunbookServices {
  const cloudwatch = new Map<string, CloudWatchClient>();
  const ssm = createSsmExecutor({
    ssm: new SSMClient({}),
    s3: new S3Client({}),
    outputS3Bucket: env.MEDIC_SSM_OUTPUT_BUCKET || undefined,
    outputS3KeyPrefix: env.MEDIC_SSM_OUTPUT_PREFIX || undefined,
    documentPrefix: env.MEDIC_SSM_DOCUMENT_PREFIX || undefined,
  });
  return {
    executor: overrides.executor ?? createRoutingExecutor({ local: createLocalExecutor(), ssm }),
    // Heap dumps: this host's directory (MEDIC_DUMP_DIR), the bucket instances upload to, S3 downloads.
    dumps: createDumpFiles({
      localDir: resolve(env.MEDIC_DUMP_DIR || '.medic/dumps'),
      bucket: env.MEDIC_DUMP_BUCKET || undefined,
      s3: new S3Client({}),
      headroomPercent: env.MEDIC_DUMP_HEADROOM_PERCENT ? Number(env.MEDIC_DUMP_HEADROOM_PERCENT) : undefined,
    }),
    // Kafka clusters of the inventory (`kafka:` per environment), read over Kafka's own protocol.
    kafka: createKafkaExecutor(),
    pg: {
      ...createPgExecutor(),
      // Connection URLs stay in the environment; the inventory names the variable.
      resolveSecret: (name) => env[name] || undefined,
      rdsMetrics: createRdsMetrics((region) => {
        let c = cloudwatch.get(region);
        if (!c) cloudwatch.set(region, (c = new CloudWatchClient({ region })));
        return c;
      }),
      // Validated here, at start-up, so a typo in `thresholds.db` fails fast instead of at the first db health.
      thresholds: resolvePgThresholds((overrides.thresholds?.db ?? {}) as PgHealthThresholdsInput),
    },
  };
}
