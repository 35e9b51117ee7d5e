import { kafkaCommand, type ImplicatedBroker, type KafkaGrade, type KafkaPartitionRef, type KafkaRecoverResult, type KafkaRecoverStep, type KafkaStatusResult } from '../src/core/kinds/kafka.js';
import { adaptiveCard, clip, facts, fallbackText, heading, plain, severityLine, submit, table, text, title, type CardAction, type CardElement, type CardMessage, type Severity } from './card-kit.js';
import type { ResultMeta } from './result-meta.js';

const MAX_BROKERS = 5;
const MAX_TOPICS = 12;
const MAX_PARTITIONS = 10;
const GRADE: Record<KafkaGrade, Severity> = { ok: 'ok', warn: 'warn', critical: 'critical' };

/**
 * The `kafka status` card: one verdict line, the implicated broker(s) first (with the instance each runs on), the
 * counts, the topics with their counts, the offline partitions, then buttons: recover the implicated broker,
 * `health <env>`, refresh. Everything on it comes from the metadata Medic read; the controller is labelled as
 * what the metadata reports (in KRaft that is not the quorum leader).
 */
export function kafkaStatusCard(result: KafkaStatusResult, meta: ResultMeta): CardMessage {
  const body: CardElement[] = [...title('📨 Kafka status', `${plain(result.env)} · bootstrap ${plain(result.bootstrap.join(', '))}`)];
  body.push(...statusBody(result));
  body.push(text(`Job ${plain(meta.jobId)} · asked by ${plain(meta.requestedBy)} · read in ${result.read.ms} ms`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body, statusActions(result)), text: fallbackText(result.summary) };
}

function statusBody(result: KafkaStatusResult): CardElement[] {
  const r = result.report;
  const out: CardElement[] = [severityLine(GRADE[r.grade], plain(result.summary))];
  if (r.implicated.length > 0) {
    out.push(heading('Implicated broker' + (r.implicated.length > 1 ? 's' : '')));
    for (const b of r.implicated.slice(0, MAX_BROKERS)) out.push(severityLine(b.alive ? 'warn' : 'critical', brokerLine(b)));
    if (r.implicated.length > MAX_BROKERS) out.push(text(`+${r.implicated.length - MAX_BROKERS} more`, { isSubtle: true }));
  }
  const t = r.totals;
  const brokers = r.brokers.configured.length ? `${r.brokers.alive.filter((id) => r.brokers.configured.includes(id)).length} of ${r.brokers.configured.length} configured up` : `${r.brokers.alive.length} up`;
  out.push(
    facts([
      ['Brokers', `${brokers}${r.brokers.missing.length ? ` · down: ${r.brokers.missing.join(', ')}` : ''}${r.brokers.unconfigured.length ? ` · not in the inventory: ${r.brokers.unconfigured.join(', ')}` : ''}`],
      ['Controller (metadata)', result.controllerId === null ? 'none reported' : String(result.controllerId)],
      ['Partitions', `${t.partitions} in ${t.topics} topics`],
      ['Offline (no leader)', String(t.offline)],
      ['Under min ISR', String(t.underMinIsr)],
      ['Under-replicated', String(t.underReplicated)],
      ['At min ISR', String(t.atMinIsr)],
      ...(t.unknownTopics ? ([['Unreadable topics', String(t.unknownTopics)]] as Array<[string, string]>) : []),
    ]),
  );
  if (r.topics.length > 0) {
    out.push(heading('Topics'));
    out.push(
      table(
        ['Topic', 'Offline', 'Under min ISR', 'Under-repl.', 'At min ISR'],
        r.topics.slice(0, MAX_TOPICS).map((x) => [clip(plain(x.topic), 60) + (x.unknown ? ' (unreadable)' : x.source === 'cli' ? ' (kafka-topics)' : ''), String(x.offline), String(x.underMinIsr), String(x.underReplicated), String(x.atMinIsr)]),
      ),
    );
    if (r.topics.length > MAX_TOPICS) out.push(text(`+${r.topics.length - MAX_TOPICS} more topics`, { isSubtle: true }));
  }
  if (r.offline.length > 0) {
    out.push(heading('Offline partitions'));
    out.push(text(r.offline.slice(0, MAX_PARTITIONS).map(partitionLine).join('\n\n'), { size: 'Small' }));
    if (t.offline > MAX_PARTITIONS) out.push(text(`+${t.offline - MAX_PARTITIONS} more`, { isSubtle: true }));
  }
  if (result.read.notes.length > 0) out.push(text(result.read.notes.map((n) => `ℹ️ ${clip(plain(n), 300)}`).join('\n\n'), { size: 'Small', isSubtle: true }));
  return out;
}

function brokerLine(b: ImplicatedBroker): string {
  const where = b.target ? ` on ${plain(b.target)}` : b.configured ? '' : ' (not in the inventory)';
  const what = [b.missingFromIsr ? `missing from ${b.missingFromIsr} ISR${b.missingFromIsr === 1 ? '' : 's'}` : '', b.offlinePartitions ? `replica of ${b.offlinePartitions} offline partition${b.offlinePartitions === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  return `**Broker ${b.id}**${where} ${b.alive ? 'is up' : 'is down'}${what ? ` — ${what}` : ''}`;
}

function partitionLine(p: KafkaPartitionRef): string {
  return `${plain(p.topic)}-${p.partition} · replicas ${p.replicas.join(',') || 'none'} · ISR ${p.isr.join(',') || 'empty'}`;
}

function statusActions(result: KafkaStatusResult): CardAction[] {
  const actions: CardAction[] = [];
  const top = result.report.implicated.find((b) => b.configured);
  const down = result.report.implicated.filter((b) => !b.alive).length;
  // One broker to recover: offer it. Several down: recovery would be refused, so no button invites it.
  if (top && down <= 1) actions.push(submit(`Recover broker ${top.id}`, { medic: 'prefill', text: kafkaCommand('recover', result.env, top.id) }, 'destructive'));
  actions.push(submit(`Health ${clip(result.env, 24)}`, { medic: 'prefill', text: `health ${result.env}` }));
  actions.push(submit('Refresh', { medic: 'prefill', text: kafkaCommand('status', result.env) }));
  return actions;
}

const STEP_ORDER: KafkaRecoverStep['name'][] = ['check', 'restart', 'isr', 'election', 'status'];
const STEP_ICON: Record<KafkaRecoverStep['status'], Severity> = { ok: 'ok', failed: 'critical', skipped: 'info' };
const STEP_LABEL: Record<KafkaRecoverStep['name'], string> = { check: 'host check', restart: 'restart', isr: 'back in every ISR', election: 'preferred leader election', status: 'final status' };

/** The `kafka recover` card: refused with the reason, or every step with its outcome, then the final status. */
export function kafkaRecoverCard(result: KafkaRecoverResult, meta: ResultMeta): CardMessage {
  const body: CardElement[] = [...title('🚑 Kafka broker recovery', `${plain(result.env)} · broker ${result.broker} on ${plain(result.target)}`)];
  if (result.refused) {
    body.push(severityLine('warn', `Refused, nothing was touched: ${plain(result.refused)}`));
  } else {
    body.push(severityLine(result.failedStep ? 'critical' : 'ok', result.failedStep ? `Stopped at step ${STEP_ORDER.indexOf(result.failedStep) + 1} (${STEP_LABEL[result.failedStep]}); the steps after it did not run.` : 'Every step went through.'));
    body.push(heading('Steps'));
    for (const [i, name] of STEP_ORDER.entries()) {
      const s = result.steps.find((x) => x.name === name);
      if (s) body.push(severityLine(STEP_ICON[s.status], `${i + 1}. **${STEP_LABEL[name]}** ${s.status} — ${clip(plain(s.detail), 300)}`));
      else body.push(text(`${i + 1}. ${STEP_LABEL[name]}: not run`, { isSubtle: true }));
    }
  }
  if (result.final) body.push(heading('Status after the recovery'), ...statusBody(result.final));
  body.push(text(`Job ${plain(meta.jobId)} · asked by ${plain(meta.requestedBy)}`, { isSubtle: true, size: 'Small' }));
  const actions = [submit('Kafka status', { medic: 'prefill', text: kafkaCommand('status', result.env) })];
  return { card: adaptiveCard(body, actions), text: fallbackText(result.summary) };
}
