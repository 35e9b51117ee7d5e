import { UserError } from '../errors.js';
import type { Inventory, KafkaRestart, KafkaSpec } from '../inventory.js';
import type { ResultBase } from '../result.js';

// --- what the cluster said (the executor's output, the analyzer's input)

/** One partition as the cluster's metadata describes it. `leader` -1: no leader (offline). */
export interface KafkaPartitionMeta {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** Replicas on brokers the cluster knows to be down (metadata v5+); often empty in KRaft, where the ISR tells. */
  offlineReplicas: number[];
  /** Kafka error code of the partition (5 LEADER_NOT_AVAILABLE for an offline one); 0 when fine. */
  errorCode: number;
}

export interface KafkaTopicMeta {
  name: string;
  /** The topic's `min.insync.replicas` (its own or the broker default); null when Medic could not read it. */
  minInsyncReplicas: number | null;
  partitions: KafkaPartitionMeta[];
  /**
   * Where the partitions came from: `metadata` (the admin API), `cli` (kafka-topics --describe on a broker host,
   * because the admin client refused the topic), or `unknown`: the topic has at least one partition with an error
   * (kafkajs refused its metadata) and nothing could say which; `partitions` is then empty.
   */
  source: 'metadata' | 'cli' | 'unknown';
  /** Why the partitions are not from the metadata, e.g. the error the admin client threw. */
  note?: string;
}

/** A snapshot of one cluster, as Medic read it. */
export interface KafkaSnapshot {
  clusterId: string | null;
  /** Brokers the metadata lists: alive and unfenced. */
  aliveBrokers: Array<{ id: number; host: string; port: number }>;
  /**
   * The controller id the metadata reports. In KRaft this is a broker the cluster picks for clients, not the quorum
   * leader (which only `kafka-metadata-quorum describe --status` shows).
   */
  controllerId: number | null;
  /**
   * Listed brokers whose listener refused a TCP connection from Medic. The metadata can be stale (a cluster that
   * lost its controller quorum keeps listing the brokers it last knew), so Medic knocks on each listed broker.
   */
  unreachableBrokers: Array<{ id: number; error: string }>;
  topics: KafkaTopicMeta[];
  /** Where the snapshot was read from (`127.0.0.1:9092`), and how long it took. */
  bootstrap: string;
  readMs: number;
}

// --- the analysis (src/analyzers/kafka)

export interface KafkaPartitionRef {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** min(min.insync.replicas, replication factor), KIP-966; null when the topic config was not read. */
  effectiveMinIsr: number | null;
}

/** A broker the partitions point at: missing from ISRs, or a replica of a partition that has no leader. */
export interface ImplicatedBroker {
  id: number;
  /** Partitions whose ISR lacks this broker (it is in their replicas). */
  missingFromIsr: number;
  /** Offline partitions this broker is a replica of. */
  offlinePartitions: number;
  /** Listed by the metadata as alive (registered and unfenced). */
  alive: boolean;
  /** In the inventory's `brokers:` map. */
  configured: boolean;
  /** The instance the inventory says runs it, when configured. */
  target?: string;
}

export interface KafkaTopicHealth {
  topic: string;
  partitions: number;
  offline: number;
  underReplicated: number;
  underMinIsr: number;
  atMinIsr: number;
  /** The topic's metadata could not be read partition by partition (see KafkaTopicMeta.source). */
  unknown: boolean;
  source: KafkaTopicMeta['source'];
  minInsyncReplicas: number | null;
}

export type KafkaGrade = 'ok' | 'warn' | 'critical';

export interface KafkaPartitionReport {
  grade: KafkaGrade;
  brokers: {
    configured: number[];
    alive: number[];
    /** Configured but not alive. */
    missing: number[];
    /** Alive but not in the inventory. */
    unconfigured: number[];
    /** Listed by the metadata, but their listener refused Medic's connection (counted as down). */
    unreachable: number[];
  };
  totals: { topics: number; partitions: number; offline: number; underReplicated: number; underMinIsr: number; atMinIsr: number; unknownTopics: number };
  /** The brokers the partitions point at, most implicated first. */
  implicated: ImplicatedBroker[];
  /** Topics with a problem, worst first. */
  topics: KafkaTopicHealth[];
  /** Partition lists, clipped to `limit` each (totals hold the full counts). */
  offline: KafkaPartitionRef[];
  underReplicated: KafkaPartitionRef[];
  underMinIsr: KafkaPartitionRef[];
  atMinIsr: KafkaPartitionRef[];
}

// --- jobs

/** `kafka status <env>`: partition health of the environment's cluster. */
export interface KafkaStatusRequest {
  kind: 'kafka.status';
  env: string;
}

export interface KafkaStatusResult extends ResultBase {
  kind: 'kafka.status';
  env: string;
  bootstrap: string[];
  clusterId: string | null;
  controllerId: number | null;
  report: KafkaPartitionReport;
  /** How the snapshot was read: admin-API time, topics narrowed one by one, topics described on a broker host. */
  read: { ms: number; narrowedTopics: string[]; cliTopics: string[]; notes: string[] };
}

export type KafkaRecoverStepName = 'check' | 'restart' | 'isr' | 'election' | 'status';

export interface KafkaRecoverStep {
  name: KafkaRecoverStepName;
  status: 'ok' | 'failed' | 'skipped';
  detail: string;
  durationMs: number;
}

/** `kafka recover <env> <broker>`: check the host, restart the broker, wait for the ISRs, preferred election. */
export interface KafkaRecoverRequest {
  kind: 'kafka.recover';
  env: string;
  broker: number;
}

export interface KafkaRecoverResult extends ResultBase {
  kind: 'kafka.recover';
  env: string;
  broker: number;
  target: string;
  steps: KafkaRecoverStep[];
  /** The step that stopped the flow; absent when every step went through. */
  failedStep?: KafkaRecoverStepName;
  /** Refused before touching anything (e.g. more than one broker down), with the reason. */
  refused?: string;
  /** The status after the recovery (absent when refused or stopped before). */
  final?: KafkaStatusResult;
}

/** The chat text of the buttons and alert routes (the grammar commands/kafka.ts parses). */
export function kafkaCommand(verb: 'status', env: string): string;
export function kafkaCommand(verb: 'recover', env: string, broker: number): string;
export function kafkaCommand(verb: 'status' | 'recover', env: string, broker?: number): string {
  return verb === 'status' ? `kafka status ${env}` : `kafka recover ${env} ${String(broker)}`;
}

// --- the inventory's view of a cluster

export interface ResolvedKafkaBroker {
  id: number;
  /** The instance that runs it (`local` for this host). */
  target: string;
  restart: KafkaRestart;
  process: string;
  dataDir?: string;
}

/** The environment's Kafka cluster, or a UserError that says how to configure one. */
export function resolveKafka(inventory: Inventory, envName: string): KafkaSpec {
  const env = inventory[envName];
  if (!env) throw new UserError(`There is no environment \`${envName}\`.`, 'Type `envs` to see the environments you may use.');
  if (!env.kafka) {
    const withKafka = Object.keys(inventory).filter((k) => inventory[k]?.kafka);
    throw new UserError(`Environment \`${envName}\` has no Kafka cluster in the inventory.`, withKafka.length ? `Environments with one: ${withKafka.slice(0, 20).join(', ')}.` : 'Add `kafka: { bootstrap: [host:port], brokers: { <node.id>: <instance id> } }` to the environment in the config file.');
  }
  return env.kafka;
}

/** Broker id → the instance it runs on, as the analysis wants it. */
export function kafkaBrokerTargets(spec: KafkaSpec): Record<number, string> {
  return Object.fromEntries(Object.entries(spec.brokers).map(([id, b]) => [Number(id), typeof b === 'string' ? b : b.target]));
}

export function resolveKafkaBroker(spec: KafkaSpec, envName: string, id: number): ResolvedKafkaBroker {
  const b = spec.brokers[String(id)];
  if (b === undefined) {
    throw new UserError(`Broker ${id} is not in the inventory of \`${envName}\`.`, `Its brokers: ${Object.keys(spec.brokers).join(', ')}. Type \`kafka status ${envName}\` to see which one is implicated.`);
  }
  const own = typeof b === 'string' ? { target: b } : b;
  return { id, target: own.target, restart: own.restart ?? spec.restart, process: own.process ?? spec.process, ...((own.dataDir ?? spec.dataDir) ? { dataDir: own.dataDir ?? spec.dataDir } : {}) };
}

/** How a restart reads in cards and approval summaries. */
export function describeKafkaRestart(r: KafkaRestart): string {
  return r.method === 'systemctl' ? `systemctl restart ${r.unit}` : r.method === 'docker' ? `docker restart ${r.container}` : 'its configured restart command';
}
