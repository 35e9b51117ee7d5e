/** A person as Webex identifies them. */
export interface PersonRef {
  email: string;
  id?: string;
  displayName?: string;
}

/**
 * What the Webex transport hands to the `inbound` queue: a message or a card button press, already
 * authenticated (signature) and stripped of the bot's mention. Ids are Webex's, so redeliveries dedupe.
 */
export type InboundEvent =
  | {
      type: 'message';
      messageId: string;
      roomId: string;
      roomType: 'direct' | 'group';
      person: PersonRef;
      text: string;
      /** Set when the message was posted in a thread. */
      parentId?: string;
      receivedAt: number;
    }
  | {
      type: 'action';
      actionId: string;
      /** The card message whose button was pressed. */
      messageId: string;
      roomId: string;
      /** Thread of the card message, so answers stay in it. */
      parentId?: string;
      person: PersonRef;
      inputs: Record<string, unknown>;
      receivedAt: number;
    }
  /** Scheduled when an approval is requested; fires at its expiry even if nobody presses anything. */
  | { type: 'approval-expiry'; approvalId: string; receivedAt: number };
