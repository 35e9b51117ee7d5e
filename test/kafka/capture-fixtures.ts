/**
 * Captures the Kafka fixtures of test/analyzers/kafka from a real cluster: `npx tsx test/kafka/capture-fixtures.ts`.
 * Three states of one 3-broker cluster (healthy; broker 3 stopped; broker 2 killed as well, which also loses the
 * controller quorum), each as Medic's snapshot (kafkajs admin) plus kafka-topics --describe output of the same moment.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createKafkaExecutor } from '../../src/executors/kafka.js';
import { startKafkaCluster } from '../support/kafka-cluster.js';

const out = fileURLToPath(new URL('../fixtures/kafka/', import.meta.url));
const c = await startKafkaCluster();
console.log(`cluster up in ${c.startMs} ms`);
try {
  await c.createTopics([
    { topic: 'orders', numPartitions: 6, replicationFactor: 3 },
    { topic: 'payments', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
    { topic: 'audit', numPartitions: 4, replicaAssignment: [{ partition: 0, replicas: [1, 3] }, { partition: 1, replicas: [3, 2] }, { partition: 2, replicas: [2, 1] }, { partition: 3, replicas: [3, 1] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
    { topic: 'single', numPartitions: 3, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }, { partition: 2, replicas: [3] }] },
  ]);
  const kafka = createKafkaExecutor();
  const capture = async (name: string, note: string): Promise<void> => {
    const snapshot = await kafka.snapshot(c.bootstrap);
    const cli = {
      describe: await c.kafkaTopics(['--describe', '--exclude-internal']),
      underReplicated: await c.kafkaTopics(['--describe', '--under-replicated-partitions', '--exclude-internal']),
      unavailable: await c.kafkaTopics(['--describe', '--unavailable-partitions', '--exclude-internal']),
    };
    // Internal topics (__consumer_offsets) are not created in this cluster until a group commits; keep user topics.
    snapshot.topics = snapshot.topics.filter((t) => !t.name.startsWith('__'));
    writeFileSync(`${out}${name}.json`, JSON.stringify({ note, capturedWith: 'Apache Kafka 4.4.0, 3 combined KRaft nodes', snapshot, cli }, null, 2) + '\n');
    console.log(name, JSON.stringify(snapshot.topics.map((t) => [t.name, t.source])), snapshot.unreachableBrokers);
  };
  await capture('healthy', 'all three brokers up');
  await c.stop(3);
  await c.waitForBrokers([1, 2]);
  await capture('broker3-stopped', 'broker 3 stopped (SIGTERM, controlled shutdown)');
  await c.kill(2);
  await capture('broker2-killed-broker3-stopped', 'broker 3 stopped, then broker 2 killed (SIGKILL): the controller quorum is lost, broker 1 keeps serving the metadata it last had');
} finally {
  await c.close();
}
