import { connect } from 'node:net';
import { errorMessage, UserError } from '../core/errors.js';
import type { KafkaPort } from '../core/kafka-port.js';
import type { KafkaSnapshot, KafkaTopicMeta } from '../core/kinds/kafka.js';
import { KafkaWireConnection, type WireMetadata } from './kafka/wire.js';

export interface KafkaExecutorOptions {
  clientId?: string;
  /** Connect and per-request timeout (ms): a status must answer while a broker is down. */
  timeoutMs?: number;
}

/** Topic-level error codes, named the way Kafka names them, for the notes a card shows. */
const ERROR_NAMES: Record<number, string> = { 3: 'UNKNOWN_TOPIC_OR_PARTITION', 5: 'LEADER_NOT_AVAILABLE', 9: 'REPLICA_NOT_AVAILABLE', 29: 'TOPIC_AUTHORIZATION_FAILED', 72: 'LISTENER_NOT_FOUND' };

/**
 * `KafkaPort` over Kafka's own Metadata and DescribeConfigs requests (./kafka/wire.ts explains why not kafkajs):
 * one connection to the first bootstrap broker that answers, the metadata of every topic with its partitions'
 * error codes as data, `min.insync.replicas` of every topic, and a TCP knock on every listed broker (metadata can
 * be stale when the cluster lost its controller quorum). A topic with a topic-level error and no partitions comes
 * back as `source: 'unknown'`, for the runbook to describe on a broker host.
 */
export function createKafkaExecutor(opts: KafkaExecutorOptions = {}): KafkaPort {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    async snapshot(bootstrap, { signal } = {}) {
      if (bootstrap.length === 0) throw new UserError('This Kafka cluster has no bootstrap brokers configured.', 'Add `kafka: { bootstrap: [host:port, ...] }` to the environment in the config file.');
      const started = Date.now();
      const failures: string[] = [];
      for (const hostPort of bootstrap) {
        signal?.throwIfAborted();
        let conn: KafkaWireConnection | undefined;
        try {
          conn = await KafkaWireConnection.open(hostPort, { clientId: opts.clientId ?? 'medic', timeoutMs, signal });
          const md = await conn.metadata(null);
          const names = md.topics.map((t) => t.name);
          const [minIsr, unreachableBrokers] = await Promise.all([readMinInsync(conn, names), probeBrokers(md.brokers, timeoutMs)]);
          const snapshot: KafkaSnapshot = {
            clusterId: md.clusterId,
            aliveBrokers: md.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port })).sort((a, b) => a.id - b.id),
            controllerId: md.controllerId >= 0 ? md.controllerId : null,
            unreachableBrokers,
            topics: topicsOf(md, minIsr),
            bootstrap: hostPort,
            readMs: Date.now() - started,
          };
          return snapshot;
        } catch (e) {
          if (signal?.aborted) throw e;
          failures.push(`${hostPort}: ${errorMessage(e)}`);
        } finally {
          conn?.close();
        }
      }
      throw new UserError(
        `No Kafka broker answered (${failures.join('; ')}).`,
        'Check that the brokers run and that this worker reaches their listeners (security groups, advertised host names); `health <env>` checks the hosts.',
      );
    },
  };
}

function topicsOf(md: WireMetadata, minIsr: Map<string, number>): KafkaTopicMeta[] {
  return md.topics
    .map((t): KafkaTopicMeta => {
      const base = { name: t.name, minInsyncReplicas: minIsr.get(t.name) ?? null };
      if (t.errorCode !== 0 && t.partitions.length === 0) {
        return { ...base, partitions: [], source: 'unknown', note: `the broker answered ${ERROR_NAMES[t.errorCode] ?? `error ${t.errorCode}`} for the topic` };
      }
      return {
        ...base,
        source: 'metadata',
        partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, errorCode: p.errorCode })).sort((a, b) => a.partition - b.partition),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `min.insync.replicas` of every topic (its own value or the broker default), in batches of DescribeConfigs. */
async function readMinInsync(conn: KafkaWireConnection, names: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < names.length; i += 500) {
    for (const r of await conn.describeTopicConfigs(names.slice(i, i + 500), ['min.insync.replicas'])) {
      const v = r.configs.get('min.insync.replicas');
      if (r.errorCode === 0 && v && /^\d+$/.test(v)) out.set(r.name, Number(v));
    }
  }
  return out;
}

/** A TCP connect to every listed broker: the brokers whose listener refuses (or does not answer) are named. */
async function probeBrokers(brokers: WireMetadata['brokers'], timeoutMs: number): Promise<Array<{ id: number; error: string }>> {
  const results = await Promise.all(
    brokers.map(
      (b) =>
        new Promise<{ id: number; error: string } | null>((resolve) => {
          const s = connect({ host: b.host, port: b.port });
          const done = (error: string | null): void => {
            s.destroy();
            resolve(error === null ? null : { id: b.nodeId, error });
          };
          s.setTimeout(timeoutMs, () => done(`no answer from ${b.host}:${b.port} within ${timeoutMs} ms`));
          s.once('connect', () => done(null));
          s.once('error', (e: NodeJS.ErrnoException) => done(`${b.host}:${b.port} ${e.code ?? e.message}`));
        }),
    ),
  );
  return results.filter((r): r is { id: number; error: string } => r !== null).sort((a, b) => a.id - b.id);
}

