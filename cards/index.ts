import type { JobKind, JobResult, JobResultOf } from '../src/core/jobs.js';
import type { CardMessage } from './card-kit.js';
import { dbCancelCard, dbHealthCard, dbKillCard } from './db-health-card.js';
import { pingCard } from './ping-card.js';
import type { ResultMeta } from './result-meta.js';
import { healthCard } from './health-card.js';
import { jvmThreadsCard } from './jvm-threads-card.js';
import { jvmHeapCard } from './jvm-heap-card.js';
import { jvmHeapAnalyzeCard } from './jvm-heap-card.js';
import { jvmOomCard } from './jvm-oom-card.js';
import { diskCheckCard, diskCleanupCard } from './disk-card.js';
import { kafkaRecoverCard, kafkaStatusCard } from './kafka-status-card.js';

type ResultCards = { [K in JobKind]: (result: JobResultOf<K>, meta: ResultMeta) => CardMessage };

/** One card builder per job kind; a kind without a card does not compile. */
export const RESULT_CARDS: ResultCards = {
  'system.ping': pingCard,
  'health.check': healthCard,
  'db.health': dbHealthCard,
  'db.cancel': dbCancelCard,
  'db.kill': dbKillCard,
  'jvm.threads': jvmThreadsCard,
  'jvm.heap': jvmHeapCard,
  'jvm.heap.analyze': jvmHeapAnalyzeCard,
  'jvm.oom': jvmOomCard,
  'disk.check': diskCheckCard,
  'disk.cleanup': diskCleanupCard,
  'kafka.status': kafkaStatusCard,
  'kafka.recover': kafkaRecoverCard,
};

export function resultCard(result: JobResult, meta: ResultMeta): CardMessage {
  const build = RESULT_CARDS[result.kind] as (r: JobResult, m: ResultMeta) => CardMessage;
  return build(result, meta);
}
