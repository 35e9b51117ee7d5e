import type { JvmThreadsResult } from '../src/core/kinds/jvm.js';
import { adaptiveCard, facts, fallbackText, plain, text, type CardMessage } from './card-kit.js';
import type { ResultMeta } from './result-meta.js';
import { threadAnalysisCard } from './thread-analysis-card.js';

/**
 * The `jvm threads` card: where the dumps came from (environment, instance, how many, how far apart, which JVM and
 * tool) above the thread analysis itself. The raw dumps and the full report are the result's attachments.
 */
export function jvmThreadsCard(result: JvmThreadsResult, meta: ResultMeta): CardMessage {
  const t = result.target;
  const analysis = threadAnalysisCard(result.report, { env: t.env, target: t.name });
  const [titleBlock, subtitle, ...rest] = analysis.card.body;
  const where = t.name === t.instanceId ? plain(t.name) : `${plain(t.name)} (${plain(t.instanceId)})`;
  const header = facts([
    ['Instance', `${where} · ${plain(t.env)}/${plain(t.tier)}`],
    ['Dumps', `${result.count} × ${result.intervalSeconds} s apart, ${(result.durationMs / 1000).toFixed(1)} s in all`],
    ['JVM', `pid ${result.jvm.pid}${result.jvm.user ? ` (${plain(result.jvm.user)})` : ''} via ${plain(result.jvm.tool)}`],
  ]);
  const footer = text(`Job ${plain(meta.jobId)} · asked by ${plain(meta.requestedBy)} · raw dumps and full report attached`, { isSubtle: true, size: 'Small' });
  const body = [titleBlock, subtitle, header, ...rest, footer].filter((e): e is NonNullable<typeof e> => e !== undefined);
  return { card: adaptiveCard(body), text: fallbackText(`${t.env} ${t.name}: ${analysis.text}`) };
}
