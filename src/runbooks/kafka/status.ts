import { analyzePartitions } from '../../analyzers/kafka/analyze-partitions.js';
import { fillFromDescribe, parseTopicsDescribe } from '../../analyzers/kafka/parse-topics-describe.js';
import { errorMessage, UserError } from '../../core/errors.js';
import type { KafkaSpec } from '../../core/inventory.js';
import type { KafkaPort } from '../../core/kafka-port.js';
import { kafkaBrokerTargets, resolveKafka, type KafkaPartitionReport, type KafkaStatusResult } from '../../core/kinds/kafka.js';
import type { Runbook, RunbookContext } from '../../core/runbook.js';

export const TOPICS_DOCUMENT = 'Medic-KafkaTopics';

/**
 * `kafka status <env>`: brokers alive vs configured, offline / under-replicated / under- and at-min-ISR partitions,
 * and the implicated broker(s) with the instance each runs on. Topics the broker answered only with an error are
 * described on a broker host (kafka-topics.sh --describe over SSM) so their partitions are counted too.
 */
export const runKafkaStatus: Runbook<'kafka.status'> = async (request, ctx) => {
  const spec = resolveKafka(ctx.inventory, request.env);
  return await readKafkaStatus(request.env, spec, ctx);
};

export function kafkaPort(ctx: RunbookContext): KafkaPort {
  const kafka = ctx.services.kafka;
  if (!kafka) throw new UserError('This Medic worker has no Kafka client.', 'Kafka runbooks run in the worker started by `npm start` (or `medic run`); ask an admin to check its configuration.');
  return kafka;
}

export async function readKafkaStatus(env: string, spec: KafkaSpec, ctx: RunbookContext): Promise<KafkaStatusResult> {
  const started = ctx.clock.now();
  const snapshot = await kafkaPort(ctx).snapshot(spec.bootstrap, { signal: ctx.signal });
  const configured = kafkaBrokerTargets(spec);
  const notes: string[] = [];
  let topics = snapshot.topics;
  const unknown = topics.filter((t) => t.source === 'unknown');
  const cliTopics: string[] = [];
  if (unknown.length > 0) {
    // Ask a broker host that is up: kafka-topics there sees what the metadata answer did not carry.
    const alive = new Set(snapshot.aliveBrokers.map((b) => b.id));
    const host = Object.entries(configured).find(([id]) => alive.has(Number(id)))?.[1];
    if (!host) {
      notes.push(`${unknown.length} topic(s) could not be read and no configured broker host is up to describe them`);
    } else {
      try {
        const run = await ctx.services.executor.run({
          document: TOPICS_DOCUMENT,
          parameters: { KafkaBin: spec.bin, BootstrapServers: spec.bootstrap.join(','), Filter: 'all', Topic: unknown.length === 1 ? unknown[0]!.name : '' },
          targets: { instanceIds: [host] },
          timeoutSeconds: 120,
          signal: ctx.signal,
          comment: `Medic ${ctx.jobId}: kafka status ${env} describe`,
        });
        const r = run.instances[0];
        if (r?.status === 'Success') {
          topics = fillFromDescribe(topics, parseTopicsDescribe(r.stdout));
          cliTopics.push(...topics.filter((t) => t.source === 'cli').map((t) => t.name));
        } else {
          notes.push(`kafka-topics --describe on ${host} failed: ${r ? (/^===MEDIC-ERROR (.*)$/m.exec(r.stdout)?.[1] ?? r.detail ?? r.status) : 'no answer'}`);
        }
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        notes.push(`kafka-topics --describe on ${host} failed: ${errorMessage(e)}`);
      }
    }
  }
  for (const b of snapshot.unreachableBrokers) notes.push(`broker ${b.id} is listed by the metadata but its listener refused Medic (${b.error}): the metadata may be stale`);
  const report = analyzePartitions({ ...snapshot, topics }, { configured });
  return {
    kind: 'kafka.status',
    env,
    bootstrap: spec.bootstrap,
    clusterId: snapshot.clusterId,
    controllerId: snapshot.controllerId,
    report,
    read: { ms: ctx.clock.now() - started, narrowedTopics: unknown.map((t) => t.name), cliTopics, notes },
    summary: kafkaSummary(env, report),
  };
}

/** One line: the verdict, the implicated broker first. */
export function kafkaSummary(env: string, r: KafkaPartitionReport): string {
  const t = r.totals;
  const counts = [
    t.offline ? `${t.offline} offline` : '',
    t.underMinIsr ? `${t.underMinIsr} under min ISR` : '',
    t.underReplicated ? `${t.underReplicated} under-replicated` : '',
    t.atMinIsr ? `${t.atMinIsr} at min ISR` : '',
    t.unknownTopics ? `${t.unknownTopics} topic(s) unreadable` : '',
  ].filter(Boolean);
  if (r.grade === 'ok') return `${env} Kafka: healthy, ${r.brokers.alive.length} broker(s) up, ${t.partitions} partitions in ${t.topics} topics`;
  const top = r.implicated[0];
  const who = top ? `broker ${top.id}${top.target ? ` (${top.target})` : ''} ${top.alive ? 'is up but missing from ISRs' : 'is down'}` : r.brokers.missing.length ? `broker(s) ${r.brokers.missing.join(', ')} down` : '';
  return `${env} Kafka: ${[who, counts.length ? `${counts.join(', ')} partition(s)` : ''].filter(Boolean).join('; ')}`;
}
