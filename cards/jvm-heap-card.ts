import type { HeapDumpFacts, JvmHeapAnalyzeResult, JvmHeapResult, JvmTargetInfo } from '../src/core/kinds/jvm.js';
import { adaptiveCard, facts, fallbackText, heading, plain, severityLine, text, title, type CardElement, type CardMessage } from './card-kit.js';
import { heapAnalysisCard } from './heap-analysis-card.js';
import type { ResultMeta } from './result-meta.js';

function mb(n: number): string {
  return `${(n / 1048576).toFixed(n >= 100 * 1048576 ? 0 : 1)} MB`;
}

function where(t: JvmTargetInfo): string {
  return `${t.name === t.instanceId ? plain(t.name) : `${plain(t.name)} (${plain(t.instanceId)})`} · ${plain(t.env)}${t.tier ? `/${plain(t.tier)}` : ''}`;
}

export function dumpPlace(f: Pick<HeapDumpFacts, 'dump'>): string {
  const d = f.dump;
  return d.type === 's3' ? `s3://${d.bucket}/${d.key}` : d.type === 'local' ? `${d.path} (this host)` : `${d.path} (on the instance)`;
}

/** The facts of a collected dump: size, place, pause, and what the disk check saw. */
export function dumpFacts(t: JvmTargetInfo, f: HeapDumpFacts): CardElement {
  const pairs: Array<[string, string]> = [
    ['Instance', where(t)],
    ['Dump', `${mb(f.dumpBytes)} gzip'd${f.source === 'existing' ? ', written by the JVM at its OutOfMemoryError' : ''}`],
    ['Where', plain(dumpPlace(f))],
  ];
  if (f.source === 'live') pairs.push(['JVM paused', `${f.pauseMs.toLocaleString('en-US')} ms`]);
  if (f.usedHeapBytes !== null && f.freeBytes !== null) pairs.push(['Disk check', `used heap ${mb(f.usedHeapBytes)}, ${mb(f.freeBytes)} free`]);
  if (f.pid !== null) pairs.push(['JVM pid', String(f.pid)]);
  return facts(pairs);
}

/** Appends an analysis card's body (without its title) under a heading. */
function analysisBody(card: CardMessage): CardElement[] {
  return card.card.body.slice(2);
}

/**
 * The `jvm heap` card: the dump's size, place and pause first (what the requester needs at once), then either the
 * leak suspects (analysis done here) or where the analysis runs (queued: its card follows in this thread).
 */
export function jvmHeapCard(result: JvmHeapResult, meta: ResultMeta): CardMessage {
  const t = result.target;
  const body: CardElement[] = [...title('🧠 Heap dump', `${plain(t.env)} · ${plain(t.name)}`), dumpFacts(t, result.facts)];
  const a = result.analysis;
  if (a.status === 'queued') body.push(severityLine('info', `Analysis queued as job ${plain(a.jobId)}: the leak-suspects card follows in this thread.`));
  else if (a.status === 'unavailable') body.push(severityLine('warn', `No analysis: ${plain(a.reason)}.`));
  else {
    const card = heapAnalysisCard(a.report, { env: t.env, target: t.name, dumpBytes: result.facts.dumpBytes });
    body.push(heading('Analysis'), ...analysisBody(card));
  }
  body.push(text(`Job ${plain(meta.jobId)} · asked by ${plain(meta.requestedBy)}`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body), text: fallbackText(`Heap dump ${t.env} ${t.name}: ${result.summary}`) };
}

/** The card of the queued analysis: the heap analysis card, with where the dump came from. */
export function jvmHeapAnalyzeCard(result: JvmHeapAnalyzeResult, meta: ResultMeta): CardMessage {
  const t = result.target;
  const card = heapAnalysisCard(result.report, { env: t.env, target: t.name, dumpPath: dumpPlace(result), dumpBytes: result.dumpBytes });
  const body = [...card.card.body, text(`Job ${plain(meta.jobId)} · dump taken by job ${plain(result.parentJobId)} · full report attached`, { isSubtle: true, size: 'Small' })];
  return { card: adaptiveCard(body), text: card.text };
}
