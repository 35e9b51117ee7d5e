import type { KafkaPartitionMeta } from '../../core/kinds/kafka.js';

/**
 * `kafka-topics.sh --describe` output (any of its filters: --unavailable-partitions, --under-replicated-partitions,
 * ...) as typed partitions. Lines are tab-separated `Key: value` pairs:
 *
 *   Topic: orders	TopicId: …	PartitionCount: 6	ReplicationFactor: 3	Configs: min.insync.replicas=2
 *   	Topic: orders	Partition: 0	Leader: none	Replicas: 3	Isr: 	Elr: 3	LastKnownElr: 3
 *
 * `Leader: none` (or -1) is an offline partition. Lines that are neither (warnings, JVM noise) are ignored.
 */
export interface DescribedTopic {
  name: string;
  /** From the topic line's `Configs:` (only values that differ from the defaults are listed there). */
  minInsyncReplicas: number | null;
  partitions: KafkaPartitionMeta[];
}

export function parseTopicsDescribe(text: string): DescribedTopic[] {
  const topics = new Map<string, DescribedTopic>();
  const topic = (name: string): DescribedTopic => {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = { name, minInsyncReplicas: null, partitions: [] }));
    return t;
  };
  for (const raw of text.split('\n')) {
    const fields = fieldsOf(raw);
    const name = fields.get('Topic');
    if (!name) continue;
    if (fields.has('Partition')) {
      const partition = Number(fields.get('Partition'));
      const leaderText = fields.get('Leader') ?? '';
      if (!Number.isInteger(partition) || !fields.has('Replicas')) continue;
      const leader = leaderText === 'none' || leaderText === '' ? -1 : Number(leaderText);
      topic(name).partitions.push({
        partition,
        leader: Number.isInteger(leader) ? leader : -1,
        replicas: ids(fields.get('Replicas')),
        isr: ids(fields.get('Isr')),
        offlineReplicas: ids(fields.get('Offline')),
        errorCode: leader < 0 ? 5 : 0,
      });
    } else if (fields.has('PartitionCount')) {
      const min = /(?:^|,)min\.insync\.replicas=(\d+)/.exec(fields.get('Configs') ?? '');
      topic(name).minInsyncReplicas = min ? Number(min[1]) : null;
    }
  }
  return [...topics.values()];
}

function fieldsOf(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of line.split('\t')) {
    const m = /^\s*([A-Za-z]+):\s?(.*)$/.exec(part);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

function ids(v: string | undefined): number[] {
  if (!v) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^-?\d+$/.test(s))
    .map(Number);
}

/**
 * Fills the topics the admin client could not read (`source: 'unknown'`) from a `kafka-topics --describe` run on a
 * broker host. A topic the describe output does not cover stays unknown; the others are left as they are.
 */
export function fillFromDescribe<T extends { name: string; source: 'metadata' | 'cli' | 'unknown'; partitions: KafkaPartitionMeta[]; minInsyncReplicas: number | null; note?: string }>(topics: T[], described: DescribedTopic[]): T[] {
  const byName = new Map(described.map((d) => [d.name, d]));
  return topics.map((t) => {
    const d = byName.get(t.name);
    if (t.source !== 'unknown' || !d || d.partitions.length === 0) return t;
    return { ...t, source: 'cli' as const, partitions: d.partitions, minInsyncReplicas: t.minInsyncReplicas ?? d.minInsyncReplicas, note: `${t.note ? `${t.note}; ` : ''}partitions from kafka-topics --describe on a broker host` };
  });
}
