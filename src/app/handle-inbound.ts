import type { InboundEvent } from '../core/inbound.js';
import type { AppDeps } from './app-deps.js';
import { expireApproval } from './approvals.js';
import { handleCardAction } from './handle-card-action.js';
import { handleMessage } from './handle-message.js';

/** The inbound worker's one entry point. */
export async function handleInbound(event: InboundEvent, deps: AppDeps): Promise<void> {
  switch (event.type) {
    case 'message':
      return handleMessage(event, deps);
    case 'action':
      return handleCardAction(event, deps);
    case 'approval-expiry':
      return expireApproval(event.approvalId, deps);
  }
}
