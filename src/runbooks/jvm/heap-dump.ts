import { analyzeHeapDumpInWorker, HeapDumpError, toHeapReportJson, type HeapReport } from '../../analyzers/hprof/index.js';
import { UserError } from '../../core/errors.js';
import { DUMP_S3_PREFIX, type DumpLocation, type HeapAnalysisOutcome, type HeapDumpFacts, type JvmHeapReport, type ResolvedJvmTarget } from '../../core/kinds/jvm.js';
import type { ResultAttachment } from '../../core/result.js';
import type { RunbookContext } from '../../core/runbook.js';
import { documentError, jvmParameters, markerFields, onlyInvocation, singleInstance, targetInfo } from './jvm-target.js';

export const HEAP_DUMP_DOCUMENT = 'Medic-JvmHeapDump';
/** Where instances other than this host write dumps before the upload. */
export const REMOTE_DUMP_DIR = '/var/tmp/medic-dumps';
/** Free space asked for beyond the used heap when the port does not say. */
const DEFAULT_HEADROOM_PERCENT = 10;
/** Rows of the histogram and objects a result carries; the full report is an attachment. */
const KEEP_CLASSES = 40;
const KEEP_OBJECTS = 10;

const LOCAL = 'local';

function token(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+/, '').slice(0, 40) || 'x';
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n >= 1048576 * 100 ? 0 : 1)} MB`;
}

/**
 * Takes the dump (or, in `existing-or-live` mode, picks up the one -XX:HeapDumpPath already holds) through
 * Medic-JvmHeapDump. Returns null when that mode finds no running JVM (an OOM may have killed it). A dump that
 * would not fit becomes a UserError with the numbers.
 */
export async function collectHeapDump(t: ResolvedJvmTarget, ctx: RunbookContext, mode: 'live' | 'existing-or-live'): Promise<{ facts: HeapDumpFacts; commandId: string } | null> {
  const local = t.instanceId === LOCAL;
  const dumps = ctx.services.dumps;
  if (local && !dumps) throw new UserError('This Medic has no directory for heap dumps on this host.', 'Set MEDIC_DUMP_DIR for the worker.');
  const dir = local ? dumps!.localDir : REMOTE_DUMP_DIR;
  // Dumps of this host stay here for the analyzer; instances upload theirs when a bucket is configured.
  const bucket = local ? '' : (dumps?.bucket ?? '');
  const prefix = `${DUMP_S3_PREFIX}/${token(t.env)}/${token(t.instanceId)}`;
  const stamp = new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const run = await ctx.services.executor.run({
    document: HEAP_DUMP_DOCUMENT,
    parameters: {
      ...jvmParameters(t.jvm),
      DumpDir: dir,
      DumpName: `heap-${token(t.env)}-${token(t.name)}-${stamp}-${token(ctx.jobId)}`,
      Mode: mode,
      HeadroomPercent: String(dumps?.headroomPercent ?? DEFAULT_HEADROOM_PERCENT),
      S3Bucket: bucket,
      S3Prefix: prefix,
    },
    targets: singleInstance(t),
    timeoutSeconds: 3600,
    signal: ctx.signal,
    comment: `Medic ${ctx.jobId}: jvm heap ${t.env} ${t.name}`,
  });
  ctx.signal.throwIfAborted();
  const r = onlyInvocation(run.instances, t);
  const refuse = markerFields(r.stdout, '===MEDIC-REFUSE');
  if (refuse) {
    const used = Number(refuse.used);
    const free = Number(refuse.free);
    const need = Number(refuse.need);
    throw new UserError(
      `The heap dump of ${t.name} would not fit: ${mib(free)} free in ${refuse.dir}, ${mib(need)} needed (used heap ${mib(used)} + ${refuse.headroom}% headroom). Nothing was dumped.`,
      'Free disk space on the instance (e.g. old dumps or logs), then try again.',
    );
  }
  if (r.status === 'Success' && r.stdout.includes('===MEDIC-NOJVM')) return null;
  const heap = markerFields(r.stdout, '===MEDIC-HEAP');
  if (r.status !== 'Success' || !heap) throw new UserError(`No heap dump from ${t.name}: ${documentError(r)}.`);
  const where = /===MEDIC-HEAP .* location=(.+)$/m.exec(r.stdout)?.[1]?.trim() ?? '';
  const num = (v: string | undefined): number | null => (v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null);
  const dump = parseLocation(where, local);
  if (dump.type === 's3' && !(bucket && dump.bucket === bucket && dump.key.startsWith(`${prefix}/`) && !dump.key.split('/').includes('..'))) {
    throw new UserError(
      `${t.name} reported its heap dump at s3://${dump.bucket}/${dump.key}, which is not where Medic asked for it (${bucket ? `s3://${bucket}/${prefix}/` : 'no dump bucket is configured'}). Medic fetches dumps only from the configured bucket: nothing was downloaded.`,
      'Check MEDIC_DUMP_BUCKET and the Medic-JvmHeapDump document on the instance (run `medic ssm sync`); the dump stays where the instance put it.',
    );
  }
  return {
    commandId: run.commandId,
    facts: {
      dump,
      dumpBytes: num(heap.bytes) ?? 0,
      pauseMs: num(heap.pauseMs) ?? 0,
      usedHeapBytes: num(heap.usedHeap),
      freeBytes: num(heap.free),
      source: heap.source === 'existing' ? 'existing' : 'live',
      pid: num(heap.pid),
    },
  };
}

function parseLocation(where: string, local: boolean): DumpLocation {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(where);
  if (s3) return { type: 's3', bucket: s3[1]!, key: s3[2]! };
  return local ? { type: 'local', path: where } : { type: 'instance', path: where };
}

export function describeLocation(d: DumpLocation): string {
  return d.type === 's3' ? `s3://${d.bucket}/${d.key}` : d.type === 'local' ? d.path : `${d.path} (on the instance)`;
}

/**
 * The analysis of a collected dump: queued on the `analysis` queue when this process has one (its own concurrency,
 * worker threads, so runbook workers stay free), else done here on a worker thread.
 */
export async function analyzeOrQueue(t: ResolvedJvmTarget, facts: HeapDumpFacts, ctx: RunbookContext, progressFrom = 0): Promise<HeapAnalysisOutcome> {
  if (facts.dump.type === 'instance') return { status: 'unavailable', reason: 'the dump stays on the instance: configure MEDIC_DUMP_BUCKET so instances upload dumps for analysis' };
  if (ctx.services.followUp) {
    const jobId = await ctx.services.followUp({
      parentJobId: ctx.jobId,
      request: { kind: 'jvm.heap.analyze', env: t.env, target: targetInfo(t), dump: facts.dump, dumpBytes: facts.dumpBytes, parentJobId: ctx.jobId },
      summary: `heap analysis of ${t.name} (${t.env}), dump ${mib(facts.dumpBytes)}`,
    });
    return { status: 'queued', jobId };
  }
  const { report } = await analyzeDump(facts.dump, facts.dumpBytes, ctx, progressFrom);
  return { status: 'done', report };
}

/**
 * Analyzes one dump on a worker thread, fetching it from S3 first when needed. Progress is the share of the file
 * read, mapped onto [progressFrom, 1] so a chain that already reported its earlier steps never goes backwards.
 */
export async function analyzeDump(dump: DumpLocation, dumpBytes: number, ctx: RunbookContext, progressFrom = 0): Promise<{ report: JvmHeapReport; attachment: ResultAttachment }> {
  if (dump.type === 'instance') throw new UserError(`The dump ${dump.path} is on the instance, out of Medic's reach.`, 'Configure MEDIC_DUMP_BUCKET so instances upload dumps.');
  let path = dump.type === 'local' ? dump.path : '';
  let release = async (): Promise<void> => undefined;
  if (dump.type === 's3') {
    if (!ctx.services.dumps) throw new UserError('This Medic cannot fetch heap dumps from S3 (no dump files service).');
    const bucket = ctx.services.dumps.bucket;
    if (!bucket || dump.bucket !== bucket || !dump.key.startsWith(`${DUMP_S3_PREFIX}/`)) {
      throw new UserError(`The heap dump s3://${dump.bucket}/${dump.key} is outside ${bucket ? `s3://${bucket}/${DUMP_S3_PREFIX}/` : 'the dump bucket (none is configured)'}: Medic fetches dumps only from there, nothing was downloaded.`, 'Set MEDIC_DUMP_BUCKET to the bucket instances upload dumps to.');
    }
    await ctx.progress(`Fetching s3://${dump.bucket}/${dump.key} (${mib(dumpBytes)})`, progressFrom);
    const file = await ctx.services.dumps.download({ bucket: dump.bucket, key: dump.key }, ctx.signal);
    path = file.path;
    release = file.release;
  }
  try {
    let shown = -1;
    const full: HeapReport = await analyzeHeapDumpInWorker(path, {
      signal: ctx.signal,
      onProgress: (f) => {
        const pct = Math.floor(f * 20) * 5;
        if (pct === shown) return;
        shown = pct;
        // Progress is advisory: a failed post must not fail the analysis.
        ctx.progress(`Analyzing the heap dump: ${pct}% read`, progressFrom + f * (1 - progressFrom)).catch((e: unknown) => ctx.log.warn({ err: String(e) }, 'progress not posted'));
      },
    });
    const report: JvmHeapReport = { ...full, histogram: full.histogram.slice(0, KEEP_CLASSES), biggestObjects: full.biggestObjects.slice(0, KEEP_OBJECTS) };
    const name = `${(path.split('/').pop() ?? 'heap').replace(/\.hprof(\.gz)?$/, '')}-report.json`;
    return { report, attachment: { name, contentType: 'application/json', content: JSON.stringify(toHeapReportJson(full), null, 2) } };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (e instanceof HeapDumpError) throw new UserError(`The heap dump could not be read: ${e.message} (at byte ${e.offset.toLocaleString('en-US')}).`);
    if (e && typeof e === 'object' && 'code' in e && e.code === 'ENOENT') throw new UserError(`The heap dump ${path} is gone (deleted since it was taken?).`);
    throw e;
  } finally {
    await release();
  }
}

export { mib };
