import { SSMClient } from '@aws-sdk/client-ssm';
import { syncDocuments } from '../executors/ssm-sync.js';

const USAGE = `Usage: medic ssm sync [--prefix <Prefix->] [--dir <documents dir>]

Creates or updates Medic's SSM command documents (src/runbooks/documents) in the AWS account and region of the
AWS SDK's own environment (AWS_PROFILE / AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL_SSM). Idempotent.
  --prefix  prepended to each document name (use the same value as MEDIC_SSM_DOCUMENT_PREFIX)
  --dir     documents directory (default: the ones shipped with Medic)`;

/** `medic ssm sync`: prints one line per document and what changed; exit code 0 on success. */
export async function runSsmSync(args: string[], io: { stdout(s: string): void; stderr(s: string): void }): Promise<number> {
  let prefix = process.env.MEDIC_SSM_DOCUMENT_PREFIX;
  let documentsDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if ((a === '--prefix' || a === '--dir') && args[i + 1] !== undefined) {
      if (a === '--prefix') prefix = args[++i];
      else documentsDir = args[++i];
      continue;
    }
    io.stderr(`medic ssm sync: unknown argument ${JSON.stringify(a)}\n${USAGE}\n`);
    return 2;
  }
  if (prefix !== undefined && !/^[A-Za-z0-9_.-]{0,40}$/.test(prefix)) {
    io.stderr('medic ssm sync: --prefix may hold letters, digits, _ . - only\n');
    return 2;
  }
  const ssm = new SSMClient({ maxAttempts: 8, retryMode: 'adaptive' });
  try {
    const region = await ssm.config.region().catch(() => undefined);
    if (!region) {
      io.stderr('medic ssm sync: no AWS region; set AWS_REGION (or a profile with a region).\n');
      return 1;
    }
    const results = await syncDocuments(ssm, { prefix, documentsDir });
    for (const r of results) io.stdout(`${r.action.padEnd(9)} ${r.name}${r.version ? ` (default version ${r.version})` : ''}\n`);
    const changed = results.filter((r) => r.action !== 'unchanged').length;
    io.stdout(`${results.length} document${results.length === 1 ? '' : 's'} in ${region}, ${changed} changed.\n`);
    return 0;
  } catch (e) {
    const name = e instanceof Error ? e.name : 'Error';
    io.stderr(`medic ssm sync failed: ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (name === 'CredentialsProviderError') io.stderr('Set AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).\n');
    return 1;
  } finally {
    ssm.destroy();
  }
}
