import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kafkaStatusCard } from '../../../cards/kafka-status-card.js';
import { COMMANDS } from '../../../commands/index.js';
import { parseCommand } from '../../../commands/parse.js';
import { analyzePartitions } from '../../../src/analyzers/kafka/analyze-partitions.js';
import { UserError } from '../../../src/core/errors.js';
import { InventorySchema } from '../../../src/core/inventory.js';
import type { KafkaSnapshot, KafkaStatusResult } from '../../../src/core/kinds/kafka.js';
import { documentEnvironment, InvalidParametersError, loadDocuments } from '../../../src/executors/ssm/documents.js';
import { electionSummary, readCheck, refuse } from '../../../src/runbooks/kafka/recover.js';
import { kafkaSummary } from '../../../src/runbooks/kafka/status.js';
import { cardText, expectValidCard } from '../../support/adaptive-card.js';
import { REAL_DOCUMENTS_DIR } from '../../support/fake-aws/paths.js';

const inventory = InventorySchema.parse({
  'acme-prod': {
    tags: { prod: true },
    kafka: {
      bootstrap: ['kafka-1.internal:9092', 'kafka-2.internal:9092'],
      brokers: { 1: 'i-0123456789abcdef1', 2: 'i-0123456789abcdef2', 3: { target: 'i-0123456789abcdef3', restart: { method: 'docker', container: 'kafka-3' } } },
    },
  },
  'acme-staging': {},
});

function plan(text: string) {
  const { command, input } = parseCommand(text, COMMANDS);
  return command.plan({ ...input, inventory, receivedAt: 0 });
}

describe('kafka commands', () => {
  it.each([
    ['kafka status acme-prod', { kind: 'kafka.status', env: 'acme-prod' }, 'read', undefined],
    ['kafka recover acme-prod 1 because URPs on broker 1', { kind: 'kafka.recover', env: 'acme-prod', broker: 1 }, 'destructive', ['kafka/acme-prod', 'i-0123456789abcdef1']],
    ['kafka recover acme-prod 3', { kind: 'kafka.recover', env: 'acme-prod', broker: 3 }, 'destructive', ['kafka/acme-prod', 'i-0123456789abcdef3']],
  ])('plans `%s`', (text, request, risk, targets) => {
    const p = plan(text);
    expect(p).toMatchObject({ type: 'job', request, risk });
    if (p.type === 'job') expect(p.targets).toEqual(targets);
  });

  it('names the broker, its instance and the restart in the approval summary', () => {
    expect(plan('kafka recover acme-prod 3')).toMatchObject({ summary: expect.stringContaining('recover Kafka broker 3 of acme-prod (prod) on i-0123456789abcdef3: host check, restart (docker restart kafka-3)') });
    expect(plan('kafka recover acme-prod 1')).toMatchObject({ summary: expect.stringContaining('systemctl restart kafka') });
  });

  it.each([
    ['kafka recover acme-prod x', /a broker id is a whole number/],
    ['kafka recover acme-prod 1;reboot', /a broker id is a whole number/],
    ['kafka recover acme-prod 7', /Broker 7 is not in the inventory of `acme-prod`/],
    ['kafka status acme-staging', /has no Kafka cluster in the inventory/],
    ['kafka status nowhere', /no environment `nowhere`/],
  ])('refuses `%s` with a clear message', (text, message) => {
    expect(() => plan(text)).toThrow(UserError);
    expect(() => plan(text)).toThrow(message);
  });

  it.each([
    [{ bootstrap: ['kafka:9092'], brokers: {} }, /at least one broker/],
    [{ bootstrap: ['kafka'], brokers: { 1: 'local' } }, /host:port/],
    [{ bootstrap: ['kafka:9092'], brokers: { one: 'local' } }, /node\.id/],
    [{ bootstrap: ['kafka:9092'], brokers: { 1: 'web-1' } }, /instance id/],
    [{ bootstrap: ['kafka:9092'], brokers: { 1: 'local' }, restart: { method: 'command', command: 'systemctl restart kafka; rm -rf /' } }, /no quotes, globs, pipes/],
  ])('rejects a bad kafka inventory %#', (kafka, message) => {
    const r = InventorySchema.safeParse({ e: { kafka } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});

describe('kafka documents', () => {
  it('pin every parameter: no shell text reaches kafka-topics or kafka-leader-election', async () => {
    const docs = await loadDocuments(REAL_DOCUMENTS_DIR);
    const topics = docs.get('Medic-KafkaTopics')!;
    expect(() => documentEnvironment(topics, { KafkaBin: '/opt/kafka/bin', BootstrapServers: 'k:9092', Topic: 'orders;id' })).toThrow(InvalidParametersError);
    expect(() => documentEnvironment(topics, { KafkaBin: '/opt/kafka/bin', BootstrapServers: 'k:9092 --command-config /x', Filter: 'all' })).toThrow(InvalidParametersError);
    expect(() => documentEnvironment(docs.get('Medic-KafkaLeaderElection')!, { KafkaBin: '/opt/kafka/bin', BootstrapServers: 'k:9092,k2:9092' })).not.toThrow();
    expect(() => documentEnvironment(docs.get('Medic-KafkaBrokerCheck')!, { BrokerProcess: 'kafka.Kafka $(id)' })).toThrow(InvalidParametersError);
  });
});

describe('kafka recover decisions', () => {
  const snapshot = (name: string): KafkaSnapshot => (JSON.parse(readFileSync(new URL(`../../fixtures/kafka/${name}.json`, import.meta.url), 'utf8')) as { snapshot: KafkaSnapshot }).snapshot;
  const configured = { 1: 'a', 2: 'b', 3: 'c' };

  it.each([
    ['broker3-stopped', 3, undefined],
    ['broker3-stopped', 1, /broker 3 is the one down, not broker 1/],
    ['healthy', 2, /broker 2 is up and in every ISR/],
    ['broker2-killed-broker3-stopped', 3, /brokers 2, 3 are down/],
  ])('on %s, recovering broker %s: %s', (fixture, id, want) => {
    const r = refuse(analyzePartitions(snapshot(fixture), { configured }), id);
    if (want) expect(r).toMatch(want);
    else expect(r).toBeUndefined();
  });

  it('reads the host check and the election output as a person would', () => {
    const c = readCheck('===MEDIC-KAFKA process stopped\n===MEDIC-KAFKA disk used=98 mount=/data availKb=12\n===MEDIC-KAFKA oom count=2 window=1h\n');
    expect(c).toMatchObject({ processRunning: false, diskUsedPercent: 98, mount: '/data' });
    expect(c.lines).toEqual(['broker process not running', 'data disk 98% used on /data', '2 OOM kill(s) in the last hour']);
    expect(electionSummary('Successfully completed leader election (PREFERRED) for partitions orders-0, orders-3\nValid replica already elected for partitions payments-1\n')).toBe('preferred leader election: 2 partition(s) moved back to their preferred leader, 1 already had it');
  });

  it('builds a valid status card that names the implicated broker first and offers its recovery', () => {
    const report = analyzePartitions(snapshot('broker3-stopped'), { configured });
    const result: KafkaStatusResult = { kind: 'kafka.status', env: 'acme-prod', bootstrap: ['k:9092'], clusterId: 'x', controllerId: 1, report, read: { ms: 12, narrowedTopics: [], cliTopics: [], notes: [] }, summary: kafkaSummary('acme-prod', report) };
    expect(result.summary).toBe('acme-prod Kafka: broker 3 (c) is down; 1 offline, 4 under min ISR, 13 under-replicated, 3 at min ISR partition(s)');
    const card = kafkaStatusCard(result, { jobId: 'j1', requestedBy: 'ana@example.com', now: 0 });
    expectValidCard(card.card);
    const t = cardText(card.card);
    expect(t.indexOf('Broker 3')).toBeLessThan(t.indexOf('Topics'));
    expect(card.card.actions?.map((a) => a.title)).toEqual(['Recover broker 3', 'Health acme-prod', 'Refresh']);
  });
});
