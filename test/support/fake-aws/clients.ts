import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Real SDK clients pointed at the loopback fake; static credentials, nothing reaches AWS. */
export function fakeSsmClient(endpoint: string, opts: { maxAttempts?: number } = {}): SSMClient {
  return new SSMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: opts.maxAttempts ?? 3 });
}

export function fakeS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}
