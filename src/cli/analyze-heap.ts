import { existsSync, statSync } from 'node:fs';
import { analyzeHeapDump } from '../analyzers/hprof/analyze-heap-dump.js';
import { toHeapReportJson } from '../analyzers/hprof/heap-report-json.js';
import { HeapDumpError, type HeapReport, type PathStep } from '../analyzers/hprof/types.js';
import { formatBytes } from '../core/format.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

export type { CliIo } from './args.js';

const USAGE = `usage: medic analyze heap <file.hprof | file.hprof.gz> [--json]

  <file>       a heap dump written by jcmd <pid> GC.heap_dump [-gz=1] or jmap -dump:format=b (plain or gzip)
  --json       print the report as JSON instead of text
  -h, --help   this help`;

/**
 * `medic analyze heap <file> [--json]`: analyze a local heap dump. `args` are the words after `analyze heap` (a
 * leading `analyze heap` is tolerated). Exit 0 on success, 1 on a user error (bad arguments, unreadable or corrupt
 * dump) with a message that says what to do.
 */
export async function runAnalyzeHeap(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { json: { type: 'boolean' } });
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, 'medic analyze heap', e.message, USAGE);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const json = parsed.values.json ?? false;
  let files = parsed.positionals;
  if (files[0] === 'analyze') files = files.slice(1);
  if (files[0] === 'heap') files = files.slice(1);
  if (files.length !== 1) return usageError(io, 'medic analyze heap', files.length === 0 ? 'no heap dump given' : 'give exactly one heap dump', USAGE);
  const file = files[0];
  if (!existsSync(file) || !statSync(file).isFile()) {
    io.stderr(`${file}: no such file. Take a dump with \`jcmd <pid> GC.heap_dump -gz=1 /tmp/app.hprof.gz\` and pass its path.\n`);
    return 1;
  }
  try {
    const report = await analyzeHeapDump(file);
    io.stdout(json ? `${JSON.stringify(toHeapReportJson(report), null, 2)}\n` : formatReport(report));
    for (const w of report.warnings) io.stderr(`warning: ${w}\n`);
    return 0;
  } catch (e) {
    if (e instanceof HeapDumpError) {
      const hint = /not an HPROF|identifier size|empty file/.test(e.message)
        ? 'Pass an HPROF file written by `jcmd <pid> GC.heap_dump` or `jmap -dump:format=b`.'
        : 'The dump is incomplete or damaged (was the disk full, or the JVM killed while dumping?). Take a new one with `jcmd <pid> GC.heap_dump`.';
      io.stderr(`${file}: ${e.message} (byte offset ${e.offset}). ${hint}\n`);
      if (e.partial && e.partial.histogram.length > 0) {
        if (json) io.stdout(`${JSON.stringify({ error: e.message, offset: e.offset, partial: e.partial }, null, 2)}\n`);
        else {
          io.stdout(`Partial histogram (${e.partial.summary.objects} objects read before the problem):\n`);
          io.stdout(histogramLines(e.partial.histogram.slice(0, 20)));
        }
      }
      return 1;
    }
    if (e instanceof Error && /EACCES|EISDIR|ENOENT/.test(e.message)) {
      io.stderr(`${file}: ${e.message}. Check the path and its permissions.\n`);
      return 1;
    }
    throw e;
  }
}

function pathText(p: PathStep[]): string {
  return p.length === 0 ? '(GC root)' : p.map((s) => `${s.field} ← ${s.className}`).join(' ← ');
}

function histogramLines(rows: Array<{ className: string; instances: number; shallowBytes: number; retainedBytes?: number }>): string {
  return rows
    .map((h) => `  ${String(h.instances).padStart(10)}  ${formatBytes(h.shallowBytes).padStart(9)}${h.retainedBytes !== undefined ? `  ${formatBytes(h.retainedBytes).padStart(9)}` : ''}  ${h.className}`)
    .join('\n') + '\n';
}

function formatReport(r: HeapReport): string {
  const s = r.summary;
  const out: string[] = [];
  out.push(`${r.file} (${r.format}, ${s.idSize}-byte ids${s.compressedOops ? ', compressed oops' : ''})`);
  out.push(`${s.objects} objects, ${formatBytes(s.shallowBytes)} shallow, ${s.classes} classes, ${s.gcRoots} GC roots; ${r.unreachable.objects} unreachable objects (${formatBytes(r.unreachable.shallowBytes)})`);
  out.push('', 'Leak suspects:');
  if (r.leakSuspects.length === 0) out.push('  none (no object or class retains 10% of the heap)');
  for (const l of r.leakSuspects) {
    out.push(`  ${l.kind === 'class' ? `${l.instances} instances of ` : ''}${l.className} retains ${formatBytes(l.retainedBytes)} (${l.percent}%)`);
    if (l.accumulationPoint) out.push(`    accumulated in ${l.accumulationPoint.className} (${formatBytes(l.accumulationPoint.retainedBytes)})`);
    out.push(`    path: ${pathText(l.pathToRoot)}`);
  }
  out.push('', 'Classes by retained size (instances, shallow, retained):');
  out.push(histogramLines(r.histogram.slice(0, 15)).trimEnd());
  out.push('', 'Biggest objects:');
  for (const b of r.biggestObjects.slice(0, 10)) out.push(`  ${formatBytes(b.retainedBytes).padStart(9)}  ${b.className} ${b.objectId}  ← ${pathText(b.pathToRoot)}`);
  if (r.duplicateStrings.length > 0) {
    out.push('', 'Duplicate strings:');
    for (const d of r.duplicateStrings.slice(0, 10)) out.push(`  ${String(d.count).padStart(8)} × ${JSON.stringify(d.value)} wastes ${formatBytes(d.wastedBytes)}`);
  }
  const props = r.jvm.systemProperties;
  out.push('', 'JVM:');
  out.push(`  ${props['java.vm.name'] ?? '?'} ${props['java.version'] ?? ''}; max heap ${r.jvm.xmx ? `-Xmx${r.jvm.xmx}` : r.jvm.maxHeapBytes ? `${formatBytes(r.jvm.maxHeapBytes)} (Runtime.maxMemory() at start-up)` : 'not in the dump (jcmd <pid> VM.flags shows MaxHeapSize)'}; command: ${props['sun.java.command'] ?? '?'}`);
  out.push('', `Analyzed in ${r.seconds.total} s (${Object.entries(r.seconds).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v}`).join(', ')})`);
  return out.join('\n') + '\n';
}
