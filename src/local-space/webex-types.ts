// The resources of the local space, shaped like the real Webex API responses (shared/corpus/webex/*.json): field
// order and presence follow them because tests and the bot's transport may snapshot or pattern-match them.

export interface Person {
  id: string;
  emails: string[];
  phoneNumbers: Array<{ type: string; value: string }>;
  displayName: string;
  nickName: string;
  firstName: string;
  lastName: string;
  orgId: string;
  created: string;
  type: 'person' | 'bot';
}

export interface Room {
  id: string;
  title: string;
  type: 'group' | 'direct';
  isLocked: boolean;
  lastActivity: string;
  creatorId: string;
  created: string;
  ownerId: string;
  isPublic: boolean;
  isReadOnly: boolean;
}

export interface Membership {
  id: string;
  roomId: string;
  personId: string;
  personEmail: string;
  personDisplayName: string;
  personOrgId: string;
  isModerator: boolean;
  isRoomHidden: boolean;
  roomType: 'group' | 'direct';
  isMonitor: boolean;
  created: string;
}

export interface MessageAttachment {
  contentType: string;
  content: unknown;
}

export interface Message {
  id: string;
  parentId?: string;
  roomId: string;
  roomType: 'group' | 'direct';
  text?: string;
  markdown?: string;
  html?: string;
  files?: string[];
  personId: string;
  personEmail: string;
  mentionedPeople?: string[];
  attachments?: MessageAttachment[];
  created: string;
}

export interface Webhook {
  id: string;
  name: string;
  targetUrl: string;
  resource: string;
  event: string;
  filter?: string;
  secret?: string;
  status: 'active' | 'inactive';
  created: string;
  orgId: string;
  createdBy: string;
  appId: string;
  ownedBy: string;
}

export interface AttachmentAction {
  id: string;
  type: 'submit';
  messageId: string;
  inputs: Record<string, unknown>;
  personId: string;
  roomId: string;
  created: string;
}

export interface Delivery {
  webhookId: string;
  targetUrl: string;
  resource: string;
  event: string;
  /** HTTP status of the receiver's answer; 0 when the request failed (connection refused, timeout). */
  status: number;
  /** The exact bytes sent, as a string: what the signature covers. */
  body: string;
  /** The `X-Spark-Signature` header sent, if the webhook has a secret. */
  signature?: string;
}

export interface Fault {
  method: string;
  path: RegExp | string;
  status: number;
  retryAfterSeconds?: number;
  times: number;
}

export interface LocalSpaceOptions {
  port?: number;
  host?: string;
  botToken?: string;
  botEmail?: string;
  botName?: string;
  users?: Array<{ email: string; displayName: string }>;
  logger?: (line: string) => void;
}

export interface UserSaysOptions {
  roomId?: string;
  parentId?: string;
  /** Prefix the text with an @mention of the bot. Defaults to true in group rooms (bots only see mentions there). */
  mentionBot?: boolean;
}

export interface LocalSpace {
  url: string;
  hydraUrl: string;
  u2cUrl: string;
  botToken: string;
  bot: Person;
  users: Person[];
  rooms: { group: Room; direct: Record<string, Room> };
  userSays(email: string, text: string, opts?: UserSaysOptions): Promise<Message>;
  userSubmitsCard(email: string, messageId: string, inputs: Record<string, unknown>): Promise<AttachmentAction>;
  messages(filter?: { roomId?: string; fromBot?: boolean }): Message[];
  waitForMessage(pred: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  webhooks(): Webhook[];
  /** Resolves once the registered webhooks satisfy pred (framework.start() does not await its registrations). */
  waitForWebhooks(pred: (hooks: Webhook[]) => boolean, timeoutMs?: number): Promise<Webhook[]>;
  calls: string[];
  injectFault(f: Fault): void;
  deliveries: Delivery[];
  /** Resolves with the first recorded delivery (past or future) matching pred, i.e. once the receiver answered. */
  waitForDelivery(pred: (d: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  close(): Promise<void>;
}
