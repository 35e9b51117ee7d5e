import { readFile } from 'node:fs/promises';
import { analyzeThreadDumps, NoThreadDumpError, toThreadReportJson } from '../analyzers/threads/analyze-thread-dumps.js';
import type { TextInput, ThreadReport } from '../analyzers/threads/types.js';
import { parseCliArgs, usageError, UsageError, type CliIo } from './args.js';

export type { CliIo } from './args.js';

export const ANALYZE_THREADS_USAGE = `usage: medic analyze threads <dump-file>... [--json] [--top <top-H-file>]

  <dump-file>   output of jstack -l <pid>, jcmd <pid> Thread.print -l, or jcmd <pid> Thread.dump_to_file
                (text or JSON); give several files (taken 5-10 s apart, oldest first) to see hot and stuck threads
  --top <file>  output of top -H -b -n 1 -p <pid> taken with a dump, for CPU per thread (one --top per
                dump, oldest first, measures CPU between them)
  --json        print the report as JSON instead of text
  -h, --help    this help`;

/**
 * `medic analyze threads <file>... [--json] [--top <file>]`. Returns the exit code: 0 on success, 1 for a user
 * error (bad arguments, unreadable file, no dump in the files), with a message that says what to do.
 */
export async function runAnalyzeThreads(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(args, { json: { type: 'boolean' }, top: { type: 'string', multiple: true } }, { needs: { top: 'a file: the output of top -H -b -n 1 -p <pid>' } });
  } catch (e) {
    if (e instanceof UsageError) return usage(io, e.message);
    throw e;
  }
  if (parsed.values.help) {
    io.stdout(`${ANALYZE_THREADS_USAGE}\n`);
    return 0;
  }
  const files = parsed.positionals;
  const topFiles = parsed.values.top ?? [];
  const json = parsed.values.json ?? false;
  if (files.length === 0) return usage(io, 'no dump file given');

  let inputs: TextInput[];
  let top: TextInput[];
  try {
    inputs = await Promise.all(files.map(readInput));
    top = await Promise.all(topFiles.map(readInput));
  } catch (err) {
    io.stderr(`medic analyze threads: ${(err as Error).message}\n`);
    return 1;
  }

  let report: ThreadReport;
  try {
    report = analyzeThreadDumps(inputs, { top });
  } catch (err) {
    if (err instanceof NoThreadDumpError) {
      io.stderr(`medic analyze threads: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (json) io.stdout(`${JSON.stringify(toThreadReportJson(report), null, 2)}\n`);
  else io.stdout(formatThreadReport(report));
  return 0;
}

function usage(io: CliIo, message: string): number {
  return usageError(io, 'medic analyze threads', message, ANALYZE_THREADS_USAGE);
}

async function readInput(path: string): Promise<TextInput> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`cannot read ${path}: no such file (check the path; dumps come from jstack -l <pid> > dump.txt)`);
    if (code === 'EISDIR') throw new Error(`cannot read ${path}: it is a directory; give the dump files inside it`);
    if (code === 'EACCES') throw new Error(`cannot read ${path}: permission denied`);
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  return { name: path, text: decode(bytes) };
}

/** UTF-8 when valid; otherwise Latin-1, which old dumps (HP-UX, Windows code pages) often are, so nothing throws. */
function decode(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

const ICON = { critical: 'CRITICAL', warn: 'WARN', info: 'INFO' } as const;

/** The human summary: findings first, then the evidence behind them. */
export function formatThreadReport(r: ThreadReport): string {
  const out: string[] = [];
  const dumpNote = r.dumps.length > 1 ? ` (last of ${r.dumps.length} dumps)` : '';
  const states = Object.entries(r.states)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  out.push(`Threads: ${r.threads}${dumpNote}: ${states}; daemon ${r.daemon}${r.virtual ? `; virtual ${r.virtual}` : ''}`);
  out.push('', 'Findings:');
  for (const f of r.findings) {
    out.push(`  [${ICON[f.severity]}] ${f.title}`);
    if (f.detail) out.push(`      ${f.detail}`);
  }
  if (r.deadlocks.length > 0) {
    out.push('', 'Deadlocks:');
    r.deadlocks.forEach((d, i) => {
      out.push(`  ${i + 1}. ${d.threads.map((t) => `"${t}"`).join(' → ')} → "${d.threads[0]}"`);
      for (const l of d.locks) out.push(`     "${l.waiter}" waits for <${l.lock}> ${l.type ? `(${l.type}) ` : ''}held by "${l.heldBy}"`);
    });
  }
  const contended = r.contention.filter((c) => c.waiters >= 2).slice(0, 5);
  if (contended.length > 0) {
    out.push('', 'Contended locks:');
    for (const c of contended) {
      out.push(`  <${c.lock}>${c.type ? ` (${c.type})` : ''}: ${c.waiters} waiting, holder ${c.holder ? `"${c.holder}" ${c.holderState ?? ''}` : 'unknown'}`);
      for (const f of c.holderFrames.slice(0, 5)) out.push(`      at ${f}`);
    }
  }
  if (r.cpu.measured === 'none') out.push('', `CPU during the dumps: unknown (${r.cpu.reason}).`);
  if (r.hotThreads.length > 0) {
    out.push('', 'Hottest threads (CPU during the dumps):');
    for (const h of r.hotThreads.slice(0, 5)) {
      const pctText = h.cpuPercent !== undefined ? `${h.cpuPercent}% of a core` : '';
      const used = h.source === 'top-H' ? pctText : `${h.cpuMs} ms${pctText ? ` (${pctText})` : ''}`;
      out.push(`  "${h.name}" ${used} [${h.source}] ${h.state}`);
      for (const f of h.frames.slice(0, 3)) out.push(`      at ${f}`);
    }
  }
  const pools = r.pools.slice(0, 8);
  if (pools.length > 0) {
    out.push('', 'Pools:');
    for (const p of pools) out.push(`  ${p.name}: ${p.size} threads, ${p.idle} idle${p.saturated ? ', SATURATED' : ''}`);
  }
  if (r.groups.length > 0) {
    out.push('', 'Identical stacks:');
    for (const g of r.groups.slice(0, 5)) {
      out.push(`  ${g.count} × ${g.state}`);
      for (const f of g.frames.slice(0, 3)) out.push(`      at ${f}`);
    }
  }
  if (r.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of r.warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}
