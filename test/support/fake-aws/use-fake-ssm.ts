import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { fakeS3Client, fakeSsmClient } from './clients.js';
import { startFakeSsm, type FakeSsmOptions, type FakeSsmServer } from './ssm-server.js';

export interface FakeAws {
  server: FakeSsmServer;
  ssm: SSMClient;
  s3: S3Client;
}

/**
 * For the enclosing `describe`: the loopback SSM + S3 server and real SDK clients pointed at it, started before its
 * tests, with injected faults and call counts reset after each test, and everything closed after the last. The
 * fields are set once `beforeAll` has run.
 */
export function useFakeSsm(opts: FakeSsmOptions = {}): FakeAws {
  const aws = {} as FakeAws;
  beforeAll(async () => {
    aws.server = await startFakeSsm(opts);
    aws.ssm = fakeSsmClient(aws.server.endpoint);
    aws.s3 = fakeS3Client(aws.server.endpoint);
  });
  afterEach(() => {
    aws.server?.faults.clear();
    aws.server?.resetCalls();
  });
  afterAll(async () => {
    aws.ssm?.destroy();
    aws.s3?.destroy();
    await aws.server?.close();
  });
  return aws;
}
