import { SSMClient } from '@aws-sdk/client-ssm';
import { syncDocuments } from '../executors/ssm-sync.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

const USAGE = `Usage: medic ssm sync [--prefix <Prefix->] [--dir <documents dir>]

Creates or updates Medic's SSM command documents (src/runbooks/documents) in the AWS account and region of the
AWS SDK's own environment (AWS_PROFILE / AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL_SSM). Idempotent.
  --prefix  prepended to each document name (use the same value as MEDIC_SSM_DOCUMENT_PREFIX)
  --dir     documents directory (default: the ones shipped with Medic)
  -h, --help  this help`;

/** `medic ssm sync`: prints one line per document and what changed; exit code 0 on success. */
export async function runSsmSync(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { prefix: { type: 'string' }, dir: { type: 'string' } }, { positionals: false, needs: { prefix: 'a prefix (letters, digits, _ . -)', dir: 'a directory' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic ssm sync', e.message, USAGE);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const prefix = parsed.values.prefix ?? process.env.MEDIC_SSM_DOCUMENT_PREFIX;
  const documentsDir = parsed.values.dir;
  if (prefix !== undefined && !/^[A-Za-z0-9_.-]{0,40}$/.test(prefix)) return usageError(io, 'medic ssm sync', '--prefix may hold letters, digits, _ . - only (at most 40)', USAGE);
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
