import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzePartitions, effectiveMinIsr } from '../../../src/analyzers/kafka/analyze-partitions.js';
import { fillFromDescribe, parseTopicsDescribe } from '../../../src/analyzers/kafka/parse-topics-describe.js';
import type { KafkaSnapshot } from '../../../src/core/kinds/kafka.js';

/** Fixtures captured from a real 3-broker Kafka 4.4 cluster by test/kafka/capture-fixtures.ts. */
interface Fixture {
  snapshot: KafkaSnapshot;
  cli: { describe: string; underReplicated: string; unavailable: string };
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../../fixtures/kafka/${name}.json`, import.meta.url), 'utf8')) as Fixture;
const configured = { 1: 'i-0000000000000001a', 2: 'i-0000000000000002b', 3: 'i-0000000000000003c' };
const count = (text: string): number => parseTopicsDescribe(text).reduce((n, t) => n + t.partitions.length, 0);

describe('analyzePartitions on a real cluster', () => {
  it('finds nothing wrong while every broker is up', () => {
    const r = analyzePartitions(fixture('healthy').snapshot, { configured });
    expect(r.grade).toBe('ok');
    expect(r.totals).toMatchObject({ topics: 4, partitions: 16, offline: 0, underReplicated: 0, underMinIsr: 0, atMinIsr: 0 });
    expect(r.implicated).toEqual([]);
    expect(r.brokers).toMatchObject({ alive: [1, 2, 3], missing: [] });
  });

  it('names the stopped broker 3, with the counts kafka-topics reports for the same moment', () => {
    const f = fixture('broker3-stopped');
    const r = analyzePartitions(f.snapshot, { configured });
    expect(r.grade).toBe('critical');
    expect(r.brokers).toMatchObject({ alive: [1, 2], missing: [3], unreachable: [] });
    // kafka-topics --under-replicated-partitions counts the offline RF-1 partition too (its ISR is empty).
    expect(r.totals.underReplicated).toBe(count(f.cli.underReplicated));
    expect(r.totals.underReplicated).toBe(13);
    expect(r.totals.offline).toBe(count(f.cli.unavailable));
    expect(r.offline.map((p) => `${p.topic}-${p.partition}`)).toEqual(['single-2']);
    expect(r.implicated[0]).toEqual({ id: 3, missingFromIsr: 13, offlinePartitions: 1, alive: false, configured: true, target: 'i-0000000000000003c' });
    expect(r.implicated).toHaveLength(1);
  });

  it('grades min ISR with min(min.insync.replicas, RF): audit (RF 2, min 2) is under, payments (RF 3, min 2) is at', () => {
    const r = analyzePartitions(fixture('broker3-stopped').snapshot, { configured });
    expect(r.underMinIsr.map((p) => `${p.topic}-${p.partition}`).sort()).toEqual(['audit-0', 'audit-1', 'audit-3', 'single-2']);
    expect(r.atMinIsr.map((p) => `${p.topic}-${p.partition}`).sort()).toEqual(['payments-0', 'payments-1', 'payments-2']);
    const byTopic = Object.fromEntries(r.topics.map((t) => [t.topic, t]));
    expect(byTopic.single).toMatchObject({ offline: 1, underMinIsr: 1 });
    expect(byTopic.orders).toMatchObject({ underReplicated: 6, underMinIsr: 0, atMinIsr: 0 });
    // Worst first: the topic with an offline partition leads.
    expect(r.topics[0]!.topic).toBe('single');
  });

  it('counts a listed broker whose listener refuses connections as down (stale metadata after the quorum is lost)', () => {
    const f = fixture('broker2-killed-broker3-stopped');
    expect(f.snapshot.aliveBrokers.map((b) => b.id)).toEqual([1, 2]);
    const r = analyzePartitions(f.snapshot, { configured });
    expect(r.brokers).toMatchObject({ alive: [1], missing: [2, 3], unreachable: [2] });
    expect(r.implicated.map((b) => [b.id, b.alive])).toEqual([[3, false], [2, false]]);
  });

  it('implicates a configured broker that is down even when it held no replica', () => {
    const r = analyzePartitions({ aliveBrokers: [{ id: 1, host: 'h', port: 1 }], topics: [] }, { configured: { 1: 'a', 2: 'b' } });
    expect(r.implicated).toEqual([{ id: 2, missingFromIsr: 0, offlinePartitions: 0, alive: false, configured: true, target: 'b' }]);
    expect(r.grade).toBe('critical');
  });

  it('counts a broker across partitions so the sick one dominates', () => {
    const p = (partition: number, replicas: number[], isr: number[]) => ({ partition, leader: isr[0] ?? -1, replicas, isr, offlineReplicas: [], errorCode: 0 });
    const r = analyzePartitions({
      aliveBrokers: [1, 2, 3, 4].map((id) => ({ id, host: 'h', port: id })),
      topics: [{ name: 't', minInsyncReplicas: 1, source: 'metadata', partitions: [p(0, [1, 2, 3], [1, 2]), p(1, [2, 3, 4], [2, 4]), p(2, [3, 4, 1], [4, 1]), p(3, [4, 1, 2], [4, 1])] }],
    });
    expect(r.implicated.map((b) => [b.id, b.missingFromIsr])).toEqual([[3, 3], [2, 1]]);
    expect(r.grade).toBe('warn');
  });

  it('keeps a topic nobody could describe as unknown and critical', () => {
    const r = analyzePartitions({ aliveBrokers: [{ id: 1, host: 'h', port: 1 }], topics: [{ name: 'x', minInsyncReplicas: null, source: 'unknown', partitions: [] }] });
    expect(r.grade).toBe('critical');
    expect(r.topics).toMatchObject([{ topic: 'x', unknown: true }]);
    expect(r.totals.unknownTopics).toBe(1);
  });

  it.each([
    [2, 3, 2],
    [2, 1, 1],
    [3, 2, 2],
    [null, 3, null],
  ])('effective min ISR of min.insync.replicas %s at RF %s is %s', (min, rf, want) => {
    expect(effectiveMinIsr(min, rf)).toBe(want);
  });
});

describe('parseTopicsDescribe', () => {
  it('reads kafka-topics --describe output of Kafka 4.4, offline partitions and configs included', () => {
    const topics = parseTopicsDescribe(fixture('broker3-stopped').cli.describe);
    expect(topics.map((t) => t.name)).toEqual(['single', 'orders', 'audit', 'payments']);
    const single = topics[0]!;
    expect(single.minInsyncReplicas).toBe(1);
    expect(single.partitions[2]).toEqual({ partition: 2, leader: -1, replicas: [3], isr: [], offlineReplicas: [], errorCode: 5 });
    expect(topics.find((t) => t.name === 'audit')!.minInsyncReplicas).toBe(2);
  });

  it('ignores lines that are not topic or partition lines', () => {
    expect(parseTopicsDescribe('WARNING: something\nError while executing topic command\n')).toEqual([]);
  });

  it('fills only the topics the metadata could not give, and says where their partitions came from', () => {
    const described = parseTopicsDescribe(fixture('broker3-stopped').cli.describe);
    const filled = fillFromDescribe(
      [
        { name: 'single', source: 'unknown' as const, partitions: [], minInsyncReplicas: null },
        { name: 'orders', source: 'metadata' as const, partitions: [], minInsyncReplicas: 1 },
        { name: 'gone', source: 'unknown' as const, partitions: [], minInsyncReplicas: null },
      ],
      described,
    );
    expect(filled[0]).toMatchObject({ source: 'cli', minInsyncReplicas: 1 });
    expect(filled[0]!.partitions).toHaveLength(3);
    expect(filled[1]!.partitions).toEqual([]);
    expect(filled[2]!.source).toBe('unknown');
  });
});
