import { z } from 'zod';
import { userErrorCard } from '../../cards/error-card.js';
import type { InboundEvent } from '../core/inbound.js';
import type { AppDeps } from './app-deps.js';
import { decideApproval } from './approvals.js';
import { handleCommandText } from './handle-message.js';
import { say } from './say.js';

/**
 * What a card button may submit. The card builders put exactly these shapes in `Action.Submit.data` (Webex merges
 * the card's inputs, such as `note`, into the same object); anything else is answered politely and ignored.
 */
export const CardSubmitSchema = z.discriminatedUnion('medic', [
  /** Run a suggested next command as the person who pressed, e.g. from the health matrix. */
  z.object({ medic: z.literal('prefill'), text: z.string().min(1).max(500) }),
  z.object({ medic: z.literal('approve'), approvalId: z.string().min(1).max(100), hash: z.string().min(1).max(100), note: z.string().max(300).optional() }),
  z.object({ medic: z.literal('reject'), approvalId: z.string().min(1).max(100), hash: z.string().min(1).max(100), note: z.string().max(300).optional() }),
]);
export type CardSubmit = z.infer<typeof CardSubmitSchema>;

export async function handleCardAction(event: Extract<InboundEvent, { type: 'action' }>, deps: AppDeps): Promise<void> {
  const replyTo = { roomId: event.roomId, parentId: event.parentId ?? event.messageId };
  const parsed = CardSubmitSchema.safeParse(event.inputs);
  if (!parsed.success) {
    deps.log.warn({ actionId: event.actionId, inputs: Object.keys(event.inputs) }, 'unrecognised card submit');
    await say(deps, replyTo, userErrorCard('That button belongs to a card I no longer understand.', 'Type the command again, e.g. `help`.'));
    return;
  }
  const submit = parsed.data;
  switch (submit.medic) {
    case 'prefill':
      await handleCommandText({ sourceId: event.actionId, text: submit.text, person: event.person, replyTo, receivedAt: event.receivedAt }, deps);
      return;
    case 'approve':
    case 'reject':
      await decideApproval({ approvalId: submit.approvalId, hash: submit.hash, decision: submit.medic, note: submit.note, person: event.person, replyTo, sourceId: event.actionId }, deps);
      return;
  }
}
