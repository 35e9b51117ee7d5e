import type { JvmOomResult, OomStep } from '../src/core/kinds/jvm.js';
import { adaptiveCard, clip, fallbackText, heading, plain, severityLine, text, title, type CardElement, type CardMessage, type Severity } from './card-kit.js';
import { heapAnalysisCard } from './heap-analysis-card.js';
import { dumpFacts } from './jvm-heap-card.js';
import type { ResultMeta } from './result-meta.js';

const ICON: Record<OomStep['status'], Severity> = { ok: 'ok', failed: 'critical', skipped: 'info', queued: 'info' };
const ORDER: OomStep['name'][] = ['dump', 'restart', 'health', 'analysis'];

/**
 * The `jvm oom` card: every step of the chain with its outcome, the one that stopped it in red and the ones that
 * never ran listed as such, then the dump's facts and, when the analysis ran here, the leak suspects.
 */
export function jvmOomCard(result: JvmOomResult, meta: ResultMeta): CardMessage {
  const t = result.target;
  const body: CardElement[] = [...title('🚑 JVM OutOfMemory remediation', `${plain(t.env)} · ${plain(t.name)}`)];
  body.push(severityLine(result.failedStep ? 'critical' : 'ok', result.failedStep ? `Stopped at step ${ORDER.indexOf(result.failedStep) + 1} (${result.failedStep}); the steps after it did not run.` : 'Every step went through.'));
  body.push(heading('Steps'));
  for (const [i, name] of ORDER.entries()) {
    const s = result.steps.find((x) => x.name === name);
    if (s) body.push(severityLine(ICON[s.status], `${i + 1}. **${name}** ${s.status}${s.detail ? ` — ${plain(clip(s.detail, 300))}` : ''}`));
    else body.push(text(`${i + 1}. ${name}: not run`, { isSubtle: true }));
  }
  if (result.facts) body.push(heading('Dump'), dumpFacts(t, result.facts));
  if (result.analysis?.status === 'done') {
    const card = heapAnalysisCard(result.analysis.report, { env: t.env, target: t.name, dumpBytes: result.facts?.dumpBytes });
    body.push(heading('Analysis'), ...card.card.body.slice(2));
  }
  body.push(text(`Job ${plain(meta.jobId)} · asked by ${plain(meta.requestedBy)}`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body), text: fallbackText(`JVM OOM remediation ${t.env} ${t.name}: ${result.summary}`) };
}
