import type { CardMessage } from '../../cards/card-kit.js';
import type { ReplyTo } from '../core/identity.js';
import type { ReplyQueue } from '../core/ports.js';

/** Posts a card in a thread, through the `replies` queue (which retries delivery). */
export async function say(deps: { replies: ReplyQueue }, to: ReplyTo, msg: CardMessage, opts: { causedAt?: number; dedupeKey?: string } = {}): Promise<void> {
  await deps.replies.enqueueReply({ roomId: to.roomId, parentId: to.parentId, text: msg.text, card: msg.card, causedAt: opts.causedAt }, opts.dedupeKey ? { dedupeKey: opts.dedupeKey } : undefined);
}
