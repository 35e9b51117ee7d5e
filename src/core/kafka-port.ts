import type { KafkaSnapshot } from './kinds/kafka.js';

/**
 * Kafka cluster reads as runbooks see them (src/executors/kafka.ts implements them over Kafka's wire protocol).
 * Reads only: elections and restarts go through SSM documents on a broker host.
 */
export interface KafkaPort {
  /**
   * Brokers, controller, every topic's partitions (offline ones included) and `min.insync.replicas`. A topic the
   * broker answers only with an error comes back with `source: 'unknown'` and no partitions. Throws a UserError
   * when no bootstrap broker answers.
   */
  snapshot(bootstrap: string[], opts?: { signal?: AbortSignal }): Promise<KafkaSnapshot>;
}
