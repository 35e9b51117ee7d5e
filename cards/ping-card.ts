import type { PingResult } from '../src/core/kinds/system.js';
import { adaptiveCard, facts, text, title, type CardMessage } from './card-kit.js';
import type { ResultMeta } from './result-meta.js';

export function pingCard(result: PingResult, meta: ResultMeta): CardMessage {
  const roundTrip = Math.max(0, meta.now - result.receivedAt);
  return {
    text: `pong: ${roundTrip} ms round trip via ${result.worker}`,
    card: adaptiveCard([
      ...title('🏓 pong', 'inbound → runbooks → worker → replies'),
      facts([
        ['Round trip', `${roundTrip} ms (until this reply was built)`],
        ['Queued', `${result.queuedMs} ms before a worker took it`],
        ['Worker', result.worker],
        ['Job', meta.jobId],
        ['Asked by', meta.requestedBy],
      ]),
      text('All stages of the pipeline answered.', { isSubtle: true, size: 'Small' }),
    ]),
  };
}
