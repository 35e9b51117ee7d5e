import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../core/errors.js';
import { DUMP_S3_PREFIX, type DumpFiles } from '../core/kinds/jvm.js';

export interface DumpFilesOptions {
  /** Absolute directory for dumps taken on this host. */
  localDir: string;
  /** Bucket instances upload dumps to. */
  bucket?: string;
  /** Needed only to download S3 dumps. */
  s3?: S3Client;
  /** Free space a dump needs beyond the used heap, in percent. */
  headroomPercent?: number;
  /** Where downloads go (default: the OS temp dir); a dump needs its full size there. */
  tempDir?: string;
}

/**
 * The heap-dump files port: an S3 dump is streamed to a temporary file (never held in memory: dumps are gigabytes),
 * which the analyzer then reads like any local dump. Only the configured bucket is read.
 */
export function createDumpFiles(opts: DumpFilesOptions): DumpFiles {
  return {
    localDir: opts.localDir,
    ...(opts.bucket ? { bucket: opts.bucket } : {}),
    ...(opts.headroomPercent !== undefined ? { headroomPercent: opts.headroomPercent } : {}),
    async download(location, signal) {
      if (!opts.s3) throw new UserError('This Medic has no S3 client to fetch heap dumps with.', 'Set AWS credentials and a region for the worker.');
      // Only what Medic's own upload step writes is fetched: a location from elsewhere is refused before any request.
      if (!opts.bucket) throw new UserError(`No dump bucket is configured, so s3://${location.bucket}/${location.key} is not fetched.`, 'Set MEDIC_DUMP_BUCKET to the bucket instances upload heap dumps to.');
      if (location.bucket !== opts.bucket) throw new UserError(`Heap dumps are read only from the configured bucket \`${opts.bucket}\`, not \`${location.bucket}\`.`);
      if (!location.key.startsWith(`${DUMP_S3_PREFIX}/`) || location.key.split('/').includes('..')) {
        throw new UserError(`Heap dumps are read only under s3://${opts.bucket}/${DUMP_S3_PREFIX}/, not from the key \`${location.key}\`.`);
      }
      const dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'medic-heap-'));
      const path = join(dir, basename(location.key) || 'dump.hprof.gz');
      const release = () => rm(dir, { recursive: true, force: true });
      try {
        const obj = await opts.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { abortSignal: signal });
        if (!(obj.Body instanceof Readable)) throw new Error(`S3 GetObject s3://${location.bucket}/${location.key} returned no stream`);
        await pipeline(obj.Body, createWriteStream(path), { signal });
        return { path, bytes: (await stat(path)).size, release };
      } catch (e) {
        await release();
        if (e && typeof e === 'object' && 'name' in e && e.name === 'NoSuchKey') throw new UserError(`The heap dump s3://${location.bucket}/${location.key} is not there (deleted, or a lifecycle rule expired it).`);
        throw e;
      }
    },
  };
}
