import type { ImplicatedBroker, KafkaGrade, KafkaPartitionMeta, KafkaPartitionRef, KafkaPartitionReport, KafkaSnapshot, KafkaTopicHealth, KafkaTopicMeta } from '../../core/kinds/kafka.js';

/**
 * Partition health of one Kafka cluster from its metadata (research §4.1):
 * - offline: no leader (`leader` -1; the broker also sets LEADER_NOT_AVAILABLE on it);
 * - under-replicated: the ISR is shorter than the replica list;
 * - under min ISR: the ISR is shorter than min(min.insync.replicas, replication factor), the limit the broker
 *   applies since KIP-966 (acks=all producers fail there);
 * - at min ISR: the ISR is exactly that limit while short of the replicas: one more lost replica and acks=all
 *   producers fail. (A fully replicated RF-1 topic is at its limit by construction and is not counted.)
 * The implicated brokers are the replicas missing from ISRs, and the replicas of offline partitions, counted across
 * partitions: one id dominating names the sick broker.
 */
export interface AnalyzePartitionsOptions {
  /** Broker ids the inventory configures, with the instance each runs on. */
  configured?: Record<number, string>;
  /** How many partitions each list keeps (totals always count all). */
  limit?: number;
}

const LEADER_NOT_AVAILABLE = 5;

export function analyzePartitions(snapshot: Pick<KafkaSnapshot, 'aliveBrokers' | 'topics'> & Partial<Pick<KafkaSnapshot, 'unreachableBrokers'>>, opts: AnalyzePartitionsOptions = {}): KafkaPartitionReport {
  const limit = opts.limit ?? 50;
  const configured = opts.configured ?? {};
  const configuredIds = Object.keys(configured).map(Number).sort((a, b) => a - b);
  const unreachable = new Set((snapshot.unreachableBrokers ?? []).map((b) => b.id));
  // A broker the metadata lists but whose listener refuses connections is down: the metadata may be stale.
  const alive = new Set(snapshot.aliveBrokers.map((b) => b.id).filter((id) => !unreachable.has(id)));
  const aliveIds = [...alive].sort((a, b) => a - b);

  const offline: KafkaPartitionRef[] = [];
  const underReplicated: KafkaPartitionRef[] = [];
  const underMinIsr: KafkaPartitionRef[] = [];
  const atMinIsr: KafkaPartitionRef[] = [];
  const missingFromIsr = new Map<number, number>();
  const offlineOf = new Map<number, number>();
  const topics: KafkaTopicHealth[] = [];
  let partitions = 0;
  const bump = (m: Map<number, number>, id: number): void => {
    m.set(id, (m.get(id) ?? 0) + 1);
  };

  for (const t of snapshot.topics) {
    const h: KafkaTopicHealth = { topic: t.name, partitions: t.partitions.length, offline: 0, underReplicated: 0, underMinIsr: 0, atMinIsr: 0, unknown: t.source === 'unknown', source: t.source, minInsyncReplicas: t.minInsyncReplicas };
    partitions += t.partitions.length;
    for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
      const ref = partitionRef(t, p);
      const isr = new Set(p.isr);
      const isOffline = p.leader < 0 || p.errorCode === LEADER_NOT_AVAILABLE;
      if (isOffline) {
        h.offline++;
        offline.push(ref);
        for (const r of new Set(p.replicas)) bump(offlineOf, r);
      }
      if (p.isr.length < p.replicas.length) {
        h.underReplicated++;
        underReplicated.push(ref);
        for (const r of new Set(p.replicas)) if (!isr.has(r)) bump(missingFromIsr, r);
      }
      if (ref.effectiveMinIsr !== null) {
        if (p.isr.length < ref.effectiveMinIsr) {
          h.underMinIsr++;
          underMinIsr.push(ref);
        } else if (p.isr.length === ref.effectiveMinIsr && p.isr.length < p.replicas.length) {
          h.atMinIsr++;
          atMinIsr.push(ref);
        }
      }
    }
    if (h.unknown || h.offline || h.underReplicated || h.underMinIsr || h.atMinIsr) topics.push(h);
  }

  const implicatedIds = new Set([...missingFromIsr.keys(), ...offlineOf.keys()]);
  const implicated: ImplicatedBroker[] = [...implicatedIds]
    .map((id) => ({
      id,
      missingFromIsr: missingFromIsr.get(id) ?? 0,
      offlinePartitions: offlineOf.get(id) ?? 0,
      alive: alive.has(id),
      configured: id in configured,
      ...(configured[id] !== undefined ? { target: configured[id] } : {}),
    }))
    // A broker that is down first, then the one most partitions point at.
    .sort((a, b) => Number(a.alive) - Number(b.alive) || b.missingFromIsr + b.offlinePartitions - (a.missingFromIsr + a.offlinePartitions) || a.id - b.id);
  // A configured broker that is down is implicated even when no partition names it (it held no replica).
  for (const id of configuredIds) {
    if (!alive.has(id) && !implicatedIds.has(id)) implicated.push({ id, missingFromIsr: 0, offlinePartitions: 0, alive: false, configured: true, target: configured[id]! });
  }

  topics.sort((a, b) => Number(b.unknown) - Number(a.unknown) || b.offline - a.offline || b.underMinIsr - a.underMinIsr || b.underReplicated - a.underReplicated || b.atMinIsr - a.atMinIsr || a.topic.localeCompare(b.topic));
  const missing = configuredIds.filter((id) => !alive.has(id));
  const unknownTopics = topics.filter((t) => t.unknown).length;
  const totals = { topics: snapshot.topics.length, partitions, offline: offline.length, underReplicated: underReplicated.length, underMinIsr: underMinIsr.length, atMinIsr: atMinIsr.length, unknownTopics };
  const grade: KafkaGrade = totals.offline > 0 || totals.underMinIsr > 0 || unknownTopics > 0 || missing.length > 0 ? 'critical' : totals.underReplicated > 0 || totals.atMinIsr > 0 ? 'warn' : 'ok';
  return {
    grade,
    brokers: { configured: configuredIds, alive: aliveIds, missing, unconfigured: configuredIds.length ? aliveIds.filter((id) => !(id in configured)) : [], unreachable: [...unreachable].sort((a, b) => a - b) },
    totals,
    implicated,
    topics,
    offline: offline.slice(0, limit),
    underReplicated: underReplicated.slice(0, limit),
    underMinIsr: underMinIsr.slice(0, limit),
    atMinIsr: atMinIsr.slice(0, limit),
  };
}

/** min(min.insync.replicas, replication factor): what the broker enforces since KIP-966. */
export function effectiveMinIsr(minInsyncReplicas: number | null, replicationFactor: number): number | null {
  return minInsyncReplicas === null ? null : Math.min(minInsyncReplicas, replicationFactor);
}

function partitionRef(t: KafkaTopicMeta, p: KafkaPartitionMeta): KafkaPartitionRef {
  return { topic: t.name, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, effectiveMinIsr: effectiveMinIsr(t.minInsyncReplicas, p.replicas.length) };
}
