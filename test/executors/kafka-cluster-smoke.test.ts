import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKafkaCluster, type KafkaCluster } from '../support/kafka-cluster.js';
let c: KafkaCluster;
beforeAll(async () => { c = await startKafkaCluster(); console.log('start ms', c.startMs); }, 180_000);
afterAll(async () => { await c?.close(); });
it('smoke', async () => {
  await c.createTopics([{ topic: 'orders', numPartitions: 6 }]);
  let t = Date.now();
  await c.stop(3);
  console.log('stop ms', Date.now() - t);
  console.log(await c.kafkaTopics(['--describe', '--under-replicated-partitions']));
  t = Date.now();
  await c.start(3);
  console.log('restart ms', Date.now() - t);
  expect(await c.aliveBrokers()).toEqual([1, 2, 3]);
}, 180_000);
