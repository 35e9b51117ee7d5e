import { createHmac, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseMultipart } from './multipart.js';
import { hydraId } from './webex-ids.js';
import type {
  Person,
  Room,
  Membership,
  MessageAttachment,
  Message,
  Webhook,
  AttachmentAction,
  Delivery,
  Fault,
  LocalSpaceOptions,
  UserSaysOptions,
  LocalSpace,
} from './webex-types.js';

export type * from './webex-types.js';

// ---------------------------------------------------------------------------------------------------------------
// Limits and constants Webex documents or enforces.
// ---------------------------------------------------------------------------------------------------------------

/** Webex rejects text or markdown longer than this many bytes. */
export const MAX_MESSAGE_TEXT_BYTES = 7439;
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_USERS = [
  { email: 'alice@example.com', displayName: 'Alice Ops' },
  { email: 'bob@example.com', displayName: 'Bob Lead' },
];

/** An error the API answers with its status and Webex's error body, instead of a 500. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function webexError(message: string): { message: string; errors: Array<{ description: string }>; trackingId: string } {
  return { message, errors: [{ description: message }], trackingId: `LOCALSPACE_${randomUUID()}` };
}

function sendError(res: Response, status: number, message: string): void {
  const body = webexError(message);
  res.status(status).set('TrackingID', body.trackingId).json(body);
}

/** First string value of a query parameter (express gives string | string[] | undefined). */
function queryString(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Webex renders a plain-text `text` from markdown; clients and the framework read `text`, so we fill it too. */
function markdownToPlain(markdown: string): string {
  return markdown
    .replace(/<@(?:personEmail|personId):[^|>]+\|([^>]+)>/g, '$1')
    .replace(/<@(?:personEmail|personId):([^>]+)>/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/__([^_]+)__/g, '$1')
    .replace(/`{3}[^\n]*\n?([\s\S]*?)`{3}/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function findPublicDir(): string {
  // Next to this module under src/ (tsx, vitest); from dist/src/local-space the copy in src/ is used, because tsc
  // does not copy static assets.
  const candidates = [new URL('./public/', import.meta.url), new URL('../../../src/local-space/public/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`local space: page assets not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

const webhookCreateSchema = z.object({
  name: z.string().min(1).max(128),
  targetUrl: z.url(),
  resource: z.enum(['all', 'messages', 'memberships', 'rooms', 'attachmentActions', 'meetings', 'recordings']),
  event: z.enum(['all', 'created', 'updated', 'deleted', 'started', 'ended', 'joined', 'left', 'migrated']),
  filter: z.string().optional(),
  secret: z.string().min(1).optional(),
  ownedBy: z.string().optional(),
});

const webhookUpdateSchema = z.object({
  name: z.string().min(1).max(128),
  targetUrl: z.url(),
  secret: z.string().min(1).optional(),
  status: z.enum(['active', 'inactive']).optional(),
});

const messageCreateSchema = z.object({
  roomId: z.string().min(1).optional(),
  toPersonId: z.string().min(1).optional(),
  toPersonEmail: z.string().min(1).optional(),
  parentId: z.string().min(1).optional(),
  text: z.string().optional(),
  markdown: z.string().optional(),
  html: z.string().optional(),
  files: z.array(z.string()).optional(),
  attachments: z.array(z.object({ contentType: z.string(), content: z.unknown() })).optional(),
});
type MessageCreate = z.infer<typeof messageCreateSchema>;

const attachmentActionCreateSchema = z.object({
  type: z.literal('submit'),
  messageId: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
});

const uiMessageSchema = z.object({
  email: z.string(),
  roomId: z.string(),
  text: z.string().min(1),
  parentId: z.string().optional(),
});

const uiActionSchema = z.object({
  email: z.string(),
  messageId: z.string(),
  inputs: z.record(z.string(), z.unknown()),
});

interface StoredContent {
  id: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/**
 * Starts a local, Webex-compatible REST API (the subset webex-node-bot-framework 2.3.14 and its webex 2.4.2 SDK
 * use) plus a page at `/` that looks like a Webex space. Point the SDK at it with
 * `HYDRA_SERVICE_URL=<hydraUrl>` and `U2C_SERVICE_URL=<u2cUrl>` set before the framework is first loaded.
 */
export async function createLocalSpace(opts: LocalSpaceOptions = {}): Promise<LocalSpace> {
  const log = opts.logger ?? (() => undefined);
  const orgUuid = randomUUID();
  // The SDK parses the org id from the third '_' segment of the token for its pre-auth catalog request.
  const botToken = opts.botToken ?? `LOCALBOT_P0A1_${orgUuid}`;
  const orgId = hydraId('ORGANIZATION', botToken.split('_')[2] ?? orgUuid);
  const appId = hydraId('APPLICATION');
  const started = new Date().toISOString();

  const makePerson = (email: string, displayName: string, type: Person['type']): Person => {
    const [firstName, ...rest] = displayName.split(' ');
    return {
      id: hydraId('PEOPLE'),
      emails: [email],
      phoneNumbers: [],
      displayName,
      nickName: firstName,
      firstName,
      lastName: rest.join(' '),
      orgId,
      created: started,
      type,
    };
  };

  const bot = makePerson(opts.botEmail ?? 'medic@webex.bot', opts.botName ?? 'Medic', 'bot');
  const users = (opts.users ?? DEFAULT_USERS).map((u) => makePerson(u.email, u.displayName, 'person'));
  const people = new Map<string, Person>([bot, ...users].map((p) => [p.id, p]));
  const personByEmail = (email: string): Person | undefined =>
    [...people.values()].find((p) => p.emails.some((e) => e.toLowerCase() === email.toLowerCase()));

  const rooms = new Map<string, Room>();
  const memberships: Membership[] = [];
  const makeRoom = (title: string, type: Room['type'], creator: Person, members: Person[]): Room => {
    const room: Room = {
      id: hydraId('ROOM'),
      title,
      type,
      isLocked: false,
      lastActivity: started,
      creatorId: creator.id,
      created: started,
      ownerId: type === 'group' ? orgId : 'consumer',
      isPublic: false,
      isReadOnly: false,
    };
    rooms.set(room.id, room);
    for (const p of members) {
      memberships.push({
        id: hydraId('MEMBERSHIP', `${p.id}:${room.id}`),
        roomId: room.id,
        personId: p.id,
        personEmail: p.emails[0],
        personDisplayName: p.displayName,
        personOrgId: orgId,
        isModerator: false,
        isRoomHidden: false,
        roomType: type,
        isMonitor: false,
        created: started,
      });
    }
    return room;
  };
  const groupRoom = makeRoom('Medic demo', 'group', users[0] ?? bot, [bot, ...users]);
  const directRooms: Record<string, Room> = {};
  // A direct room's title, seen from the bot's side, is the other person's name (as Webex returns it to the bot).
  for (const u of users) directRooms[u.emails[0]] = makeRoom(u.displayName, 'direct', u, [u, bot]);
  const isMember = (personId: string, roomId: string): boolean =>
    memberships.some((m) => m.personId === personId && m.roomId === roomId);

  const messages: Message[] = [];
  const webhooks: Webhook[] = [];
  const actions = new Map<string, AttachmentAction>();
  const contents = new Map<string, StoredContent>();
  const calls: string[] = [];
  const faults: Fault[] = [];
  const deliveries: Delivery[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let deliveryChain: Promise<void> = Promise.resolve();

  let baseUrl = '';
  const hydraUrl = (): string => `${baseUrl}/v1`;

  // ---- webhook delivery ------------------------------------------------------------------------------------

  /** Webex filters are `key=value` pairs joined by `&`, matched against the event's data. */
  const filterMatches = (filter: string | undefined, data: Record<string, unknown>): boolean => {
    if (!filter) return true;
    return filter.split('&').every((pair) => {
      const [key, raw = ''] = pair.split('=');
      const value = decodeURIComponent(raw);
      if (key === 'mentionedPeople') {
        const wanted = value === 'me' ? bot.id : value;
        return Array.isArray(data.mentionedPeople) && data.mentionedPeople.includes(wanted);
      }
      if (key === 'hasFiles') return (Array.isArray(data.files) && data.files.length > 0) === (value === 'true');
      return data[key] === value;
    });
  };

  const deliverOne = async (w: Webhook, resource: string, event: string, actorId: string, data: object): Promise<void> => {
    const envelope = {
      id: w.id,
      name: w.name,
      targetUrl: w.targetUrl,
      resource,
      event,
      ...(w.filter ? { filter: w.filter } : {}),
      orgId,
      createdBy: w.createdBy,
      appId,
      ownedBy: w.ownedBy,
      status: w.status,
      created: w.created,
      actorId,
      data,
    };
    const body = JSON.stringify(envelope);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const signature = w.secret ? createHmac('sha1', w.secret).update(body).digest('hex') : undefined;
    if (signature) headers['x-spark-signature'] = signature;
    let status = 0;
    try {
      const res = await fetch(w.targetUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      log(`local space: webhook ${w.name} -> ${w.targetUrl} failed: ${(err as Error).message}`);
    }
    const delivery: Delivery = { webhookId: w.id, targetUrl: w.targetUrl, resource, event, status, body, signature };
    deliveries.push(delivery);
    events.emit('delivery', delivery);
  };

  /**
   * Queues delivery of one event to every matching webhook. Runs after the API response (as Webex does: the
   * webhook may reach the bot before or after its own POST returns) and in order, so events arrive in the order
   * they happened.
   */
  const deliver = (resource: 'messages' | 'attachmentActions', event: 'created' | 'deleted', actorId: string, data: Record<string, unknown>): void => {
    const targets = webhooks.filter((w) => {
      if (w.status !== 'active') return false;
      const resourceOk = w.resource === resource || (w.resource === 'all' && resource === 'messages');
      if (!resourceOk || (w.event !== 'all' && w.event !== event)) return false;
      // Bots only see group-room messages that mention them (and their own); direct messages always.
      if (resource === 'messages' && data.roomType === 'group' && data.personId !== bot.id) {
        const mentioned = Array.isArray(data.mentionedPeople) && data.mentionedPeople.includes(bot.id);
        if (!mentioned) return false;
      }
      return filterMatches(w.filter, data);
    });
    if (targets.length === 0) return;
    deliveryChain = deliveryChain
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        for (const w of targets) await deliverOne(w, resource, event, actorId, data);
      })
      .catch((err: unknown) => log(`local space: delivery failed: ${String(err)}`));
  };

  const messageEventData = (m: Message): Record<string, unknown> => ({
    id: m.id,
    roomId: m.roomId,
    roomType: m.roomType,
    ...(m.parentId ? { parentId: m.parentId } : {}),
    personId: m.personId,
    personEmail: m.personEmail,
    ...(m.mentionedPeople ? { mentionedPeople: m.mentionedPeople } : {}),
    ...(m.files ? { files: m.files } : {}),
    created: m.created,
  });

  // ---- domain operations shared by the REST API, the page and the test helpers --------------------------------

  const resolveRoom = (author: Person, body: Pick<MessageCreate, 'roomId' | 'toPersonId' | 'toPersonEmail'>): Room => {
    const targets = [body.roomId, body.toPersonId, body.toPersonEmail].filter((v) => v !== undefined);
    if (targets.length === 0) throw new ApiError(400, 'roomId, toPersonId or toPersonEmail is required.');
    if (targets.length > 1) throw new ApiError(400, 'Specify only one of roomId, toPersonId or toPersonEmail.');
    if (body.roomId !== undefined) {
      const room = rooms.get(body.roomId);
      if (!room || !isMember(author.id, room.id)) throw new ApiError(404, 'Could not find a room with provided ID.');
      return room;
    }
    const other = body.toPersonId !== undefined ? people.get(body.toPersonId) : personByEmail(body.toPersonEmail ?? '');
    if (!other) {
      throw new ApiError(404, `Person ${body.toPersonId ?? body.toPersonEmail} is not a user of this local space (known: ${users.map((u) => u.emails[0]).join(', ')}).`);
    }
    if (other.id === author.id) throw new ApiError(400, 'Cannot send a direct message to yourself.');
    const direct = [...rooms.values()].find((r) => r.type === 'direct' && isMember(author.id, r.id) && isMember(other.id, r.id));
    return direct ?? makeRoom(other.id === bot.id ? author.displayName : other.displayName, 'direct', author, [author, other]);
  };

  interface NewMessage {
    parentId?: string;
    text?: string;
    markdown?: string;
    html?: string;
    files?: string[];
    mentionedPeople?: string[];
    attachments?: MessageAttachment[];
  }

  const createMessage = (author: Person, room: Room, m: NewMessage): Message => {
    for (const [field, value] of [['text', m.text], ['markdown', m.markdown], ['html', m.html]] as const) {
      const bytes = value === undefined ? 0 : Buffer.byteLength(value);
      if (bytes > MAX_MESSAGE_TEXT_BYTES) {
        throw new ApiError(400, `Message ${field} is ${bytes} bytes; the maximum is ${MAX_MESSAGE_TEXT_BYTES} bytes.`);
      }
    }
    const hasText = Boolean(m.text || m.markdown || m.html);
    if (!hasText && !m.files?.length && !m.attachments?.length) {
      throw new ApiError(400, 'A message needs text, markdown, files or an attachment.');
    }
    if ((m.files?.length ?? 0) > 1) throw new ApiError(400, 'Only one file can be attached to a message.');
    if (m.attachments) {
      if (m.attachments.length > 1) throw new ApiError(400, 'Only one attachment per message is supported.');
      const [a] = m.attachments;
      if (a && a.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) {
        throw new ApiError(400, `Unsupported attachment contentType "${a.contentType}"; expected ${ADAPTIVE_CARD_CONTENT_TYPE}.`);
      }
      const card = a?.content as { type?: unknown } | undefined;
      if (!card || typeof card !== 'object' || card.type !== 'AdaptiveCard') {
        throw new ApiError(400, 'Attachment content must be an Adaptive Card object with "type": "AdaptiveCard".');
      }
      if (m.files?.length) throw new ApiError(400, 'A message cannot have both files and an attachment.');
    }
    if (m.parentId !== undefined) {
      const parent = messages.find((x) => x.id === m.parentId);
      if (!parent || parent.roomId !== room.id) throw new ApiError(404, 'Could not find the parent message in this room.');
      // Webex threads are one level deep: replying to a reply is refused, not flattened.
      if (parent.parentId) throw new ApiError(400, 'Cannot reply to a reply; use the thread\'s parent message as parentId.');
    }
    const mentioned = new Set(m.mentionedPeople ?? []);
    for (const match of (m.markdown ?? '').matchAll(/<@(personEmail|personId):([^|>]+)/g)) {
      const p = match[1] === 'personId' ? people.get(match[2]) : personByEmail(match[2]);
      if (p) mentioned.add(p.id);
    }
    const created = new Date().toISOString();
    const text = m.text ?? (m.markdown !== undefined ? markdownToPlain(m.markdown) : undefined);
    const message: Message = {
      id: hydraId('MESSAGE'),
      ...(m.parentId ? { parentId: m.parentId } : {}),
      roomId: room.id,
      roomType: room.type,
      ...(text !== undefined ? { text } : {}),
      ...(m.markdown !== undefined ? { markdown: m.markdown } : {}),
      ...(m.html !== undefined ? { html: m.html } : {}),
      ...(m.files?.length ? { files: m.files } : {}),
      personId: author.id,
      personEmail: author.emails[0],
      ...(mentioned.size ? { mentionedPeople: [...mentioned] } : {}),
      ...(m.attachments?.length ? { attachments: m.attachments } : {}),
      created,
    };
    messages.push(message);
    room.lastActivity = created;
    events.emit('message', message);
    deliver('messages', 'created', author.id, messageEventData(message));
    return message;
  };

  const deleteMessage = (actor: Person, id: string): void => {
    const i = messages.findIndex((m) => m.id === id);
    if (i < 0) throw new ApiError(404, 'Could not find a message with provided ID.');
    const m = messages[i];
    if (m.personId !== actor.id) throw new ApiError(403, 'You can only delete your own messages.');
    messages.splice(i, 1);
    events.emit('message-deleted', m);
    deliver('messages', 'deleted', actor.id, messageEventData(m));
  };

  const createAction = (actor: Person, messageId: string, inputs: Record<string, unknown>): AttachmentAction => {
    const message = messages.find((m) => m.id === messageId);
    if (!message || !isMember(actor.id, message.roomId)) throw new ApiError(404, 'Could not find a message with provided ID.');
    if (!message.attachments?.length) throw new ApiError(400, 'The message has no card to submit.');
    const action: AttachmentAction = {
      id: hydraId('ATTACHMENT_ACTION'),
      type: 'submit',
      messageId,
      inputs,
      personId: actor.id,
      roomId: message.roomId,
      created: new Date().toISOString(),
    };
    actions.set(action.id, action);
    events.emit('attachment-action', action);
    const { inputs: _omitted, ...data } = action;
    deliver('attachmentActions', 'created', actor.id, data);
    return action;
  };

  const user = (email: string): Person => {
    const p = personByEmail(email);
    if (!p || p.type !== 'person') {
      throw new ApiError(404, `${email} is not a user of this local space (known: ${users.map((u) => u.emails[0]).join(', ')}).`);
    }
    return p;
  };

  const userSaysSync = (email: string, text: string, o: UserSaysOptions = {}): Message => {
    const author = user(email);
    const room = rooms.get(o.roomId ?? groupRoom.id);
    if (!room || !isMember(author.id, room.id)) throw new ApiError(404, `${email} is not a member of room ${o.roomId}.`);
    const mention = o.mentionBot ?? room.type === 'group';
    if (!mention) return createMessage(author, room, { text, parentId: o.parentId });
    // What a Webex client sends for "@Medic text": the name in `text`, a spark-mention in `html`.
    return createMessage(author, room, {
      parentId: o.parentId,
      text: `${bot.displayName} ${text}`,
      html: `<p><spark-mention data-object-type="person" data-object-id="${bot.id}">${escapeHtml(bot.displayName)}</spark-mention> ${escapeHtml(text)}</p>`,
      mentionedPeople: [bot.id],
    });
  };

  const listMessages = (filter: { roomId?: string; fromBot?: boolean } = {}): Message[] =>
    messages.filter(
      (m) =>
        (filter.roomId === undefined || m.roomId === filter.roomId) &&
        (filter.fromBot === undefined || (m.personId === bot.id) === filter.fromBot),
    );

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  const sendPage = <T>(req: Request, res: Response, items: T[], extra: Record<string, unknown> = {}): void => {
    const rawMax = queryString(req, 'max');
    const max = rawMax === undefined ? DEFAULT_PAGE_SIZE : Number(rawMax);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE_SIZE) {
      throw new ApiError(400, `max must be an integer between 1 and ${MAX_PAGE_SIZE}.`);
    }
    // Our own cursor parameter: clients follow the Link header, as Webex documents, and never build it.
    const start = Number(queryString(req, 'cursor') ?? '0') || 0;
    const page = items.slice(start, start + max);
    if (start + max < items.length) {
      const next = new URL(req.originalUrl, baseUrl);
      next.searchParams.set('cursor', String(start + max));
      res.set('Link', `<${next.toString()}>; rel="next"`);
    }
    res.json({ items: page, ...extra });
  };

  const app = express();
  app.disable('x-powered-by');

  // Everything a client sends to the API is recorded, before faults and auth, so tests can assert on attempts.
  app.use((req, _res, next) => {
    if (req.path.startsWith('/v1') || req.path.startsWith('/u2c')) calls.push(`${req.method} ${req.originalUrl}`);
    next();
  });

  app.use((req, res, next) => {
    if (!(req.path.startsWith('/v1') || req.path.startsWith('/u2c'))) return next();
    const i = faults.findIndex(
      (f) => f.method.toUpperCase() === req.method && (typeof f.path === 'string' ? f.path === req.path : f.path.test(req.path)),
    );
    if (i < 0) return next();
    const f = faults[i];
    f.times -= 1;
    if (f.times <= 0) faults.splice(i, 1);
    if (f.retryAfterSeconds !== undefined) res.set('Retry-After', String(f.retryAfterSeconds));
    log(`local space: injected ${f.status} for ${req.method} ${req.originalUrl}`);
    sendError(res, f.status, f.status === 429 ? 'Too Many Requests' : `Injected fault ${f.status}`);
  });

  // U2C service catalog: every service the SDK resolves is us. Pre-auth requests come without a token.
  const catalog = (_req: Request, res: Response): void => {
    res.json({ serviceLinks: { hydra: hydraUrl() }, hostCatalog: {}, format: 'hostmap', timestamp: String(Date.now()) });
  };
  app.get('/u2c/api/v1/limited/catalog', catalog);
  app.get('/u2c/api/v1/catalog', catalog);

  const v1 = express.Router();
  v1.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    if (token !== botToken) {
      sendError(res, 401, 'The request requires a valid access token set in the Authorization request header.');
      return;
    }
    next();
  });
  v1.use(express.json({ limit: '2mb' }));
  v1.use(express.raw({ type: 'multipart/form-data', limit: '100mb' }));

  v1.get('/people/me', (_req, res) => {
    res.json(bot);
  });
  v1.get('/people', (req, res) => {
    const ids = queryString(req, 'id');
    const email = queryString(req, 'email');
    const displayName = queryString(req, 'displayName');
    if (!ids && !email && !displayName) throw new ApiError(400, 'Email, displayName, or id list should be specified.');
    if (ids) {
      const wanted = ids.split(',').filter(Boolean);
      const found = wanted.map((id) => people.get(id)).filter((p): p is Person => p !== undefined);
      const notFound = wanted.filter((id) => !people.has(id));
      return sendPage(req, res, found, { notFoundIds: notFound.length ? notFound : null });
    }
    const matches = [...people.values()].filter(
      (p) =>
        (!email || p.emails.some((e) => e.toLowerCase() === email.toLowerCase())) &&
        (!displayName || p.displayName.toLowerCase().startsWith(displayName.toLowerCase())),
    );
    sendPage(req, res, matches, { notFoundIds: null });
  });
  v1.get('/people/:id', (req, res) => {
    const p = people.get(req.params.id);
    if (!p) throw new ApiError(404, 'Could not find a person with provided ID.');
    res.json(p);
  });

  v1.get('/rooms', (req, res) => {
    const type = queryString(req, 'type');
    const mine = [...rooms.values()]
      .filter((r) => isMember(bot.id, r.id) && (!type || r.type === type))
      .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity));
    sendPage(req, res, mine);
  });
  v1.get('/rooms/:id', (req, res) => {
    const r = rooms.get(req.params.id);
    if (!r || !isMember(bot.id, r.id)) throw new ApiError(404, 'Could not find a room with provided ID.');
    res.json(r);
  });

  v1.get('/memberships', (req, res) => {
    const roomId = queryString(req, 'roomId');
    const personId = queryString(req, 'personId');
    const personEmail = queryString(req, 'personEmail');
    if (roomId && !isMember(bot.id, roomId)) throw new ApiError(404, 'Could not find a room with provided ID.');
    // Without roomId, Webex lists the caller's own memberships.
    const items = memberships.filter(
      (m) =>
        (roomId ? m.roomId === roomId : m.personId === bot.id) &&
        (!personId || m.personId === personId) &&
        (!personEmail || m.personEmail.toLowerCase() === personEmail.toLowerCase()),
    );
    sendPage(req, res, items);
  });
  v1.get('/memberships/:id', (req, res) => {
    const m = memberships.find((x) => x.id === req.params.id);
    if (!m || !isMember(bot.id, m.roomId)) throw new ApiError(404, 'Could not find a membership with provided ID.');
    res.json(m);
  });

  v1.get('/webhooks', (req, res) => {
    sendPage(req, res, webhooks);
  });
  v1.post('/webhooks', (req, res) => {
    const parsed = webhookCreateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid webhook: ${zodMessage(parsed.error)}`);
    const b = parsed.data;
    const w: Webhook = {
      id: hydraId('WEBHOOK'),
      name: b.name,
      targetUrl: b.targetUrl,
      resource: b.resource,
      event: b.event,
      ...(b.filter ? { filter: b.filter } : {}),
      ...(b.secret ? { secret: b.secret } : {}),
      status: 'active',
      created: new Date().toISOString(),
      orgId,
      createdBy: bot.id,
      appId,
      ownedBy: b.ownedBy ?? 'creator',
    };
    webhooks.push(w);
    events.emit('webhooks');
    res.json(w);
  });
  const findWebhook = (id: string): Webhook => {
    const w = webhooks.find((x) => x.id === id);
    if (!w) throw new ApiError(404, 'Could not find a webhook with provided ID.');
    return w;
  };
  v1.get('/webhooks/:id', (req, res) => {
    res.json(findWebhook(req.params.id));
  });
  v1.put('/webhooks/:id', (req, res) => {
    const w = findWebhook(req.params.id);
    const parsed = webhookUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid webhook update: ${zodMessage(parsed.error)}`);
    Object.assign(w, parsed.data);
    events.emit('webhooks');
    res.json(w);
  });
  v1.delete('/webhooks/:id', (req, res) => {
    const w = findWebhook(req.params.id);
    webhooks.splice(webhooks.indexOf(w), 1);
    events.emit('webhooks');
    res.status(204).end();
  });

  v1.post('/messages', (req, res) => {
    let body: unknown = req.body;
    let uploads: StoredContent[] = [];
    if (Buffer.isBuffer(req.body)) {
      // multipart/form-data: the SDK's way of sending a local file (bot.uploadStream, messages.create with files).
      let parts;
      try {
        parts = parseMultipart(req.body, req.get('content-type') ?? '');
      } catch (err) {
        throw new ApiError(400, `Malformed multipart body: ${(err as Error).message}`);
      }
      const fields: Record<string, string> = {};
      for (const p of parts) {
        if (p.name === 'files') {
          uploads.push({
            id: hydraId('CONTENT'),
            filename: p.filename ?? 'file',
            contentType: p.contentType ?? 'application/octet-stream',
            data: p.data,
          });
        } else {
          fields[p.name] = p.data.toString('utf8');
        }
      }
      body = fields;
    }
    const parsed = messageCreateSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid message: ${zodMessage(parsed.error)}`);
    const b = parsed.data;
    const room = resolveRoom(bot, b);
    const files = [...(b.files ?? []), ...uploads.map((u) => `${hydraUrl()}/contents/${u.id}`)];
    // Stored before the message exists: creating it tells the page at once, which shows each file by its name
    // (a file not stored yet showed as its raw, bot-only URL until a reload). A rejected message leaves nothing.
    for (const u of uploads) contents.set(u.id, u);
    let message: Message;
    try {
      message = createMessage(bot, room, {
        parentId: b.parentId,
        text: b.text,
        markdown: b.markdown,
        html: b.html,
        files: files.length ? files : undefined,
        attachments: b.attachments,
      });
    } catch (err) {
      for (const u of uploads) contents.delete(u.id);
      throw err;
    }
    uploads = [];
    res.json(message);
  });
  v1.get('/messages', (req, res) => {
    const roomId = queryString(req, 'roomId');
    if (!roomId) throw new ApiError(400, 'roomId is required.');
    if (!isMember(bot.id, roomId)) throw new ApiError(404, 'Could not find a room with provided ID.');
    const parentId = queryString(req, 'parentId');
    const mentionedPeople = queryString(req, 'mentionedPeople');
    const mentionedId = mentionedPeople === 'me' ? bot.id : mentionedPeople;
    const before = queryString(req, 'before');
    const beforeMessage = queryString(req, 'beforeMessage');
    const beforeCreated = beforeMessage ? messages.find((m) => m.id === beforeMessage)?.created : undefined;
    const items = messages
      .filter(
        (m) =>
          m.roomId === roomId &&
          (!parentId || m.parentId === parentId) &&
          (!mentionedId || (m.mentionedPeople ?? []).includes(mentionedId)) &&
          (!before || m.created < before) &&
          (!beforeMessage || (beforeCreated !== undefined && m.created <= beforeCreated && m.id !== beforeMessage)),
      )
      .reverse(); // newest first, as Webex lists them
    sendPage(req, res, items);
  });
  v1.get('/messages/:id', (req, res) => {
    const m = messages.find((x) => x.id === req.params.id);
    if (!m || !isMember(bot.id, m.roomId)) throw new ApiError(404, 'Could not find a message with provided ID.');
    res.json(m);
  });
  v1.delete('/messages/:id', (req, res) => {
    deleteMessage(bot, req.params.id);
    res.status(204).end();
  });

  v1.post('/attachment/actions', (req, res) => {
    const parsed = attachmentActionCreateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid attachment action: ${zodMessage(parsed.error)}`);
    res.json(createAction(bot, parsed.data.messageId, parsed.data.inputs));
  });
  v1.get('/attachment/actions/:id', (req, res) => {
    const a = actions.get(req.params.id);
    if (!a || !isMember(bot.id, a.roomId)) throw new ApiError(404, 'Could not find an attachment action with provided ID.');
    res.json(a);
  });

  const sendContent = (req: Request, res: Response): void => {
    const c = contents.get(String(req.params.id));
    if (!c) throw new ApiError(404, 'Could not find content with provided ID.');
    res.set('Content-Type', c.contentType);
    res.set('Content-Disposition', `attachment; filename="${c.filename.replace(/["\\\r\n]/g, '_')}"`);
    res.send(c.data);
  };
  v1.get('/contents/:id', sendContent);

  app.use('/v1', v1);

  // ---- the page (loopback only, so no token) -------------------------------------------------------------------

  const publicDir = findPublicDir();
  const require = createRequire(import.meta.url);
  const adaptiveCardsJs = require.resolve('adaptivecards/dist/adaptivecards.min.js');
  const sseClients = new Set<ServerResponse>();

  app.get('/', (_req, res) => {
    res.sendFile('index.html', { root: publicDir });
  });
  app.use('/ui/assets', express.static(publicDir, { index: false }));
  app.get('/ui/vendor/adaptivecards.min.js', (_req, res) => {
    res.sendFile(adaptiveCardsJs);
  });
  const ui = express.Router();
  ui.use(express.json({ limit: '1mb' }));
  ui.get('/state', (_req, res) => {
    res.json({
      bot,
      users,
      rooms: [...rooms.values()].map((r) => ({
        ...r,
        memberEmails: memberships.filter((m) => m.roomId === r.id).map((m) => m.personEmail),
      })),
    });
  });
  // The page needs file names and sizes, which Webex clients get from a HEAD on each file URL; we inline them.
  const uiMessage = (m: Message): object => ({
    ...m,
    fileInfo: (m.files ?? []).map((url) => {
      const id = url.startsWith(`${hydraUrl()}/contents/`) ? url.slice(`${hydraUrl()}/contents/`.length) : undefined;
      const c = id ? contents.get(id) : undefined;
      return c ? { url: `/ui/contents/${c.id}`, name: c.filename, size: c.data.length } : { url, name: fileNameOf(url), size: undefined };
    }),
  });
  ui.get('/events', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // A snapshot first, then live events; the page upserts by id, so a reconnect simply re-sends everything.
    for (const m of messages) send('message', uiMessage(m));
    send('ready', {});
    const onMessage = (m: Message): void => send('message', uiMessage(m));
    const onDeleted = (m: Message): void => send('deleted', { id: m.id });
    events.on('message', onMessage);
    events.on('message-deleted', onDeleted);
    sseClients.add(res);
    req.on('close', () => {
      events.off('message', onMessage);
      events.off('message-deleted', onDeleted);
      sseClients.delete(res);
    });
  });
  ui.post('/messages', (req, res) => {
    const parsed = uiMessageSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, zodMessage(parsed.error));
    const b = parsed.data;
    res.json(userSaysSync(b.email, b.text, { roomId: b.roomId, parentId: b.parentId }));
  });
  ui.post('/actions', (req, res) => {
    const parsed = uiActionSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, zodMessage(parsed.error));
    const b = parsed.data;
    res.json(createAction(user(b.email), b.messageId, b.inputs));
  });
  ui.get('/contents/:id', sendContent);
  app.use('/ui', ui);

  app.use((req, res) => {
    sendError(res, 404, `No route for ${req.method} ${req.path} in the local space.`);
  });
  // Express 5 forwards thrown errors (sync and async) here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) return sendError(res, err.status, err.message);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 400, `Malformed JSON body: ${e.message}`);
    if (e.type === 'entity.too.large') return sendError(res, 413, 'Request body too large.');
    log(`local space: ${req.method} ${req.originalUrl} failed: ${String((err as Error)?.stack ?? err)}`);
    sendError(res, 500, 'Internal error in the local space.');
  });

  const server: Server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  log(`local space: listening on ${baseUrl}`);

  return {
    url: baseUrl,
    hydraUrl: hydraUrl(),
    u2cUrl: `${baseUrl}/u2c/api/v1`,
    botToken,
    bot,
    users,
    rooms: { group: groupRoom, direct: directRooms },
    async userSays(email, text, o) {
      return userSaysSync(email, text, o);
    },
    async userSubmitsCard(email, messageId, inputs) {
      return createAction(user(email), messageId, inputs);
    },
    messages: listMessages,
    waitForMessage(pred, timeoutMs = 10_000) {
      const existing = messages.find(pred);
      if (existing) return Promise.resolve(existing);
      return new Promise<Message>((resolve, reject) => {
        const onMessage = (m: Message): void => {
          if (!pred(m)) return;
          clearTimeout(timer);
          events.off('message', onMessage);
          resolve(m);
        };
        const timer = setTimeout(() => {
          events.off('message', onMessage);
          const recent = messages.slice(-5).map((m) => `${m.personEmail}: ${(m.text ?? '[card]').slice(0, 80)}`);
          reject(new Error(`local space: no matching message within ${timeoutMs} ms; last messages: ${JSON.stringify(recent)}`));
        }, timeoutMs);
        events.on('message', onMessage);
      });
    },
    webhooks: () => webhooks.map((w) => ({ ...w })),
    waitForWebhooks(pred, timeoutMs = 10_000) {
      const snapshot = (): Webhook[] => webhooks.map((w) => ({ ...w }));
      if (pred(snapshot())) return Promise.resolve(snapshot());
      return new Promise<Webhook[]>((resolve, reject) => {
        const onChange = (): void => {
          if (!pred(snapshot())) return;
          clearTimeout(timer);
          events.off('webhooks', onChange);
          resolve(snapshot());
        };
        const timer = setTimeout(() => {
          events.off('webhooks', onChange);
          reject(new Error(`local space: webhooks did not reach the expected state within ${timeoutMs} ms: ${JSON.stringify(snapshot().map((w) => `${w.resource}/${w.event} -> ${w.targetUrl}`))}`));
        }, timeoutMs);
        events.on('webhooks', onChange);
      });
    },
    calls,
    injectFault(f) {
      if (f.times < 1) throw new Error('injectFault: times must be at least 1');
      faults.push({ ...f });
    },
    deliveries,
    waitForDelivery(pred, timeoutMs = 10_000) {
      const existing = deliveries.find(pred);
      if (existing) return Promise.resolve(existing);
      return new Promise<Delivery>((resolve, reject) => {
        const onDelivery = (d: Delivery): void => {
          if (!pred(d)) return;
          clearTimeout(timer);
          events.off('delivery', onDelivery);
          resolve(d);
        };
        const timer = setTimeout(() => {
          events.off('delivery', onDelivery);
          reject(new Error(`local space: no matching webhook delivery within ${timeoutMs} ms (${deliveries.length} recorded)`));
        }, timeoutMs);
        events.on('delivery', onDelivery);
      });
    },
    async close() {
      // Let queued webhook deliveries finish (each is bounded by a timeout) so tests see every delivery recorded.
      await deliveryChain;
      for (const res of sseClients) res.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A file URL that is not one of ours (`files: [url]`), named as Webex clients name it: by its last path segment. */
function fileNameOf(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : url;
  } catch {
    return url;
  }
}
