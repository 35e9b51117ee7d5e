import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSpace, type LocalSpace } from '../../src/local-space/local-space.js';
import { parseHydraId } from '../../src/local-space/webex-ids.js';

const CARD = { type: 'AdaptiveCard', version: '1.3', body: [{ type: 'TextBlock', text: 'hi' }] };

/** A webhook receiver that keeps the exact bytes and headers it got, to check the signature independently. */
interface Received {
  raw: Buffer;
  headers: IncomingMessage['headers'];
  json: { resource: string; event: string; actorId: string; data: Record<string, unknown>; [k: string]: unknown };
}

let space: LocalSpace;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const receivedListeners = new Set<() => void>();

/** Resolves when the receiver has got at least n requests (event-driven, no polling). */
function receivedCount(n: number): Promise<Received[]> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (received.length >= n) {
        receivedListeners.delete(check);
        resolve(received.slice());
      }
    };
    receivedListeners.add(check);
    check();
  });
}

let api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; json: any; headers: Headers }>;

beforeAll(async () => {
  space = await createLocalSpace();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ raw, headers: req.headers, json: JSON.parse(raw.toString('utf8')) });
      res.writeHead(req.url === '/fails' ? 500 : 200).end();
      for (const l of [...receivedListeners]) l();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  api = async (method, path, body, headers = {}) => {
    const res = await fetch(`${space.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${space.botToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
});

afterAll(async () => {
  await space?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('auth and errors', () => {
  it('rejects requests without the bot token with a Webex-shaped 401', async () => {
    const res = await fetch(`${space.hydraUrl}/people/me`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { message: string; trackingId: string };
    expect(body.message).toMatch(/access token/);
    expect(body.trackingId).toEqual(expect.any(String));
    const wrong = await fetch(`${space.hydraUrl}/people/me`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('answers unknown routes with a 404 JSON body', async () => {
    const res = await api('GET', '/v1/teams');
    expect(res.status).toBe(404);
    expect(res.json.message).toContain('GET /v1/teams');
  });

  it('answers malformed JSON with a 400', async () => {
    const res = await api('POST', '/v1/messages', undefined, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const bad = await fetch(`${space.hydraUrl}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${space.botToken}`, 'content-type': 'application/json' },
      body: '{"roomId":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/Malformed JSON/);
  });
});

describe('people, rooms and memberships', () => {
  it('mints hydra-format ids for every seeded resource', async () => {
    expect(parseHydraId(space.bot.id)).toMatchObject({ kind: 'PEOPLE' });
    expect(parseHydraId(space.rooms.group.id)).toMatchObject({ kind: 'ROOM' });
    const memberships = await api('GET', `/v1/memberships?roomId=${space.rooms.group.id}`);
    expect(memberships.json.items.map((m: { id: string }) => parseHydraId(m.id)?.kind)).toEqual(['MEMBERSHIP', 'MEMBERSHIP', 'MEMBERSHIP']);
  });

  it('returns the bot as people/me and resolves batched ids, naming the ones not found', async () => {
    const me = await api('GET', '/v1/people/me');
    expect(me.json).toMatchObject({ emails: ['medic@webex.bot'], displayName: 'Medic', type: 'bot' });
    const [alice, bob] = space.users;
    const missing = Buffer.from('ciscospark://us/PEOPLE/nobody').toString('base64url');
    const batch = await api('GET', `/v1/people/?id=${alice.id},${bob.id},${missing}&showAllTypes=false`);
    expect(batch.json.items.map((p: { displayName: string }) => p.displayName)).toEqual(['Alice Ops', 'Bob Lead']);
    expect(batch.json.notFoundIds).toEqual([missing]);
    expect((await api('GET', `/v1/people/${bob.id}`)).json.emails).toEqual(['bob@example.com']);
    expect((await api('GET', `/v1/people/${missing}`)).status).toBe(404);
    expect((await api('GET', '/v1/people?email=ALICE@example.com')).json.items[0].id).toBe(alice.id);
  });

  it('lists the rooms the bot is in: one group room and a direct room per user', async () => {
    const rooms = await api('GET', '/v1/rooms');
    expect(rooms.json.items.map((r: { type: string }) => r.type).sort()).toEqual(['direct', 'direct', 'group']);
    const direct = await api('GET', `/v1/rooms/${space.rooms.direct['alice@example.com'].id}`);
    expect(direct.json).toMatchObject({ type: 'direct', title: 'Alice Ops' });
    const group = await api('GET', `/v1/rooms/${space.rooms.group.id}`);
    expect(group.json).toMatchObject({ type: 'group', title: 'Medic demo', isLocked: false });
  });

  it('pages memberships with max and a Link header the client follows', async () => {
    const first = await api('GET', `/v1/memberships?roomId=${space.rooms.group.id}&max=2`);
    expect(first.json.items).toHaveLength(2);
    const link = first.headers.get('link');
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/v1\/memberships\?.*>; rel="next"$/);
    const nextUrl = /^<([^>]+)>/.exec(link!)![1];
    const second = await api('GET', nextUrl.slice(space.url.length));
    expect(second.json.items).toHaveLength(1);
    expect(second.headers.get('link')).toBeNull();
    const all = [...first.json.items, ...second.json.items].map((m: { personEmail: string }) => m.personEmail).sort();
    expect(all).toEqual(['alice@example.com', 'bob@example.com', 'medic@webex.bot']);
    expect((await api('GET', '/v1/memberships?max=0')).status).toBe(400);
  });

  it('filters memberships by room, person id and email; without a room lists the bot\'s own', async () => {
    const own = await api('GET', '/v1/memberships');
    expect(own.json.items).toHaveLength(3);
    expect(own.json.items.every((m: { personId: string }) => m.personId === space.bot.id)).toBe(true);
    const bob = await api('GET', `/v1/memberships?roomId=${space.rooms.group.id}&personEmail=bob@example.com`);
    expect(bob.json.items.map((m: { personEmail: string }) => m.personEmail)).toEqual(['bob@example.com']);
    const byId = await api('GET', `/v1/memberships?roomId=${space.rooms.group.id}&personId=${space.users[0].id}`);
    expect(byId.json.items).toHaveLength(1);
    const one = await api('GET', `/v1/memberships/${byId.json.items[0].id}`);
    expect(one.json).toMatchObject({ personDisplayName: 'Alice Ops', roomType: 'group' });
  });
});

describe('messages', () => {
  it('creates a message in a room and reads it back by id and in the room listing, newest first', async () => {
    const a = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, markdown: '**first**' });
    expect(a.status).toBe(200);
    expect(parseHydraId(a.json.id)?.kind).toBe('MESSAGE');
    expect(a.json).toMatchObject({ roomType: 'group', text: 'first', markdown: '**first**', personId: space.bot.id, personEmail: 'medic@webex.bot' });
    const b = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, text: 'second', parentId: a.json.id });
    expect(b.json.parentId).toBe(a.json.id);
    expect((await api('GET', `/v1/messages/${a.json.id}`)).json).toEqual(a.json);
    const list = await api('GET', `/v1/messages?roomId=${space.rooms.group.id}&max=1`);
    expect(list.json.items.map((m: { id: string }) => m.id)).toEqual([b.json.id]);
    expect(list.headers.get('link')).toContain('rel="next"');
    const thread = await api('GET', `/v1/messages?roomId=${space.rooms.group.id}&parentId=${a.json.id}`);
    expect(thread.json.items.map((m: { id: string }) => m.id)).toEqual([b.json.id]);
  });

  it('sends to a person by email into the direct room', async () => {
    const res = await api('POST', '/v1/messages', { toPersonEmail: 'bob@example.com', text: 'psst' });
    expect(res.json).toMatchObject({ roomId: space.rooms.direct['bob@example.com'].id, roomType: 'direct' });
  });

  it.each([
    ['no destination', { text: 'x' }, 400, /roomId, toPersonId or toPersonEmail/],
    ['no content', { roomId: 'ROOM' }, 400, /text, markdown, files or an attachment/],
    ['text over 7439 bytes', { roomId: 'ROOM', text: 'é'.repeat(3720) }, 400, /7440 bytes; the maximum is 7439/],
    ['two attachments', { roomId: 'ROOM', text: 'x', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: CARD }, { contentType: 'application/vnd.microsoft.card.adaptive', content: CARD }] }, 400, /Only one attachment/],
    ['a non-card attachment', { roomId: 'ROOM', text: 'x', attachments: [{ contentType: 'text/html', content: CARD }] }, 400, /contentType "text\/html"/],
    ['a card that is not an AdaptiveCard', { roomId: 'ROOM', text: 'x', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'Hero' } }] }, 400, /Adaptive Card object/],
    ['an unknown room', { roomId: 'nope', text: 'x' }, 404, /room/],
    ['an unknown parent', { roomId: 'ROOM', text: 'x', parentId: 'nope' }, 404, /parent/],
  ])('rejects a message with %s', async (_name, body, status, message) => {
    const withRoom = JSON.parse(JSON.stringify(body).replace('"ROOM"', JSON.stringify(space.rooms.group.id)));
    const before = space.messages().length;
    const res = await api('POST', '/v1/messages', withRoom);
    expect(res.status).toBe(status);
    expect(res.json.message).toMatch(message);
    expect(space.messages()).toHaveLength(before);
  });

  it('refuses a reply to a reply, as Webex threads are one level deep', async () => {
    const root = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, text: 'root' });
    const reply = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, text: 'r1', parentId: root.json.id });
    const nested = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, text: 'r2', parentId: reply.json.id });
    expect(nested.status).toBe(400);
    expect(nested.json.message).toMatch(/reply to a reply/);
  });

  it('deletes the bot\'s own messages and refuses to delete a user\'s', async () => {
    const mine = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, text: 'oops' });
    expect((await api('DELETE', `/v1/messages/${mine.json.id}`)).status).toBe(204);
    expect((await api('GET', `/v1/messages/${mine.json.id}`)).status).toBe(404);
    const theirs = await space.userSays('alice@example.com', 'keep me');
    expect((await api('DELETE', `/v1/messages/${theirs.id}`)).status).toBe(403);
  });

  it('stores a file sent as multipart/form-data and serves the same bytes back', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 13, 10, 45, 45, 0x80]);
    const form = new FormData();
    form.append('roomId', space.rooms.group.id);
    form.append('text', 'heap summary attached');
    form.append('files', new Blob([bytes], { type: 'application/octet-stream' }), 'heap-summary.bin');
    const res = await fetch(`${space.hydraUrl}/messages`, { method: 'POST', headers: { authorization: `Bearer ${space.botToken}` }, body: form });
    expect(res.status).toBe(200);
    const msg = (await res.json()) as { text: string; files: string[] };
    expect(msg.text).toBe('heap summary attached');
    expect(msg.files).toHaveLength(1);
    expect(msg.files[0]).toMatch(new RegExp(`^${space.hydraUrl}/contents/`));
    expect(parseHydraId(msg.files[0].split('/').pop()!)?.kind).toBe('CONTENT');
    expect((await fetch(msg.files[0])).status).toBe(401);
    const file = await fetch(msg.files[0], { headers: { authorization: `Bearer ${space.botToken}` } });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="heap-summary.bin"');
  });
});

describe('fault injection', () => {
  it('answers the next N matching requests with the fault and no side effects, then recovers', async () => {
    space.injectFault({ method: 'POST', path: '/v1/messages', status: 429, retryAfterSeconds: 1, times: 2 });
    const before = space.messages().length;
    const body = { roomId: space.rooms.group.id, text: 'retry me' };
    const first = await api('POST', '/v1/messages', body);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.json.message).toBe('Too Many Requests');
    // Other routes are not affected.
    expect((await api('GET', '/v1/people/me')).status).toBe(200);
    expect((await api('POST', '/v1/messages', body)).status).toBe(429);
    expect(space.messages()).toHaveLength(before);
    const third = await api('POST', '/v1/messages', body);
    expect(third.status).toBe(200);
    expect(space.messages()).toHaveLength(before + 1);
    expect(space.calls.filter((c) => c === 'POST /v1/messages').length).toBeGreaterThanOrEqual(3);
  });

  it('matches paths by regular expression and answers without Retry-After when none is given', async () => {
    space.injectFault({ method: 'get', path: /^\/v1\/rooms\//, status: 503, times: 1 });
    const res = await api('GET', `/v1/rooms/${space.rooms.group.id}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
    expect((await api('GET', `/v1/rooms/${space.rooms.group.id}`)).status).toBe(200);
  });
});

describe('webhooks', () => {
  // Each test registers its own webhooks; leftovers would add deliveries to the next test's receiver.
  afterEach(async () => {
    for (const w of space.webhooks()) await api('DELETE', `/v1/webhooks/${w.id}`);
  });

  it('supports create, read, update, list and delete', async () => {
    const created = await api('POST', '/v1/webhooks', { name: 'crud', targetUrl: `${receiverUrl}/crud`, resource: 'rooms', event: 'created' });
    expect(created.json).toMatchObject({ name: 'crud', status: 'active', createdBy: space.bot.id, ownedBy: 'creator' });
    expect(parseHydraId(created.json.id)?.kind).toBe('WEBHOOK');
    const id = created.json.id as string;
    const updated = await api('PUT', `/v1/webhooks/${id}`, { name: 'crud2', targetUrl: `${receiverUrl}/crud2`, status: 'inactive' });
    expect(updated.json).toMatchObject({ name: 'crud2', status: 'inactive' });
    expect((await api('GET', `/v1/webhooks/${id}`)).json.targetUrl).toBe(`${receiverUrl}/crud2`);
    expect((await api('GET', '/v1/webhooks')).json.items.map((w: { id: string }) => w.id)).toContain(id);
    expect((await api('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    expect((await api('GET', `/v1/webhooks/${id}`)).status).toBe(404);
    const invalid = await api('POST', '/v1/webhooks', { name: 'x', targetUrl: 'not a url', resource: 'messages', event: 'created' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.message).toMatch(/targetUrl/);
  });

  it('delivers signed events for user messages, bot messages and card submits, and only matching ones', async () => {
    const secret = 'hook-secret';
    const group = space.rooms.group.id;
    const post = (body: object) => api('POST', '/v1/webhooks', { targetUrl: `${receiverUrl}/hook`, event: 'created', secret, ...body });
    const firehose = (await post({ name: 'firehose', resource: 'all', event: 'all' })).json;
    const actionsHook = (await post({ name: 'actions', resource: 'attachmentActions' })).json;
    // A filtered webhook for the direct room only must not fire for group messages.
    await post({ name: 'direct only', resource: 'messages', filter: `roomId=${space.rooms.direct['alice@example.com'].id}` });
    received.length = 0;

    // Not mentioning the bot in a group room: Webex does not tell the bot.
    await space.userSays('bob@example.com', 'chatting among humans', { mentionBot: false });
    const asked = await space.userSays('alice@example.com', 'status');
    expect(asked.text).toBe('Medic status');
    expect(asked.mentionedPeople).toEqual([space.bot.id]);
    const card = (await api('POST', '/v1/messages', { roomId: group, text: 'card', parentId: asked.id, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: CARD }] })).json;
    const action = await space.userSubmitsCard('bob@example.com', card.id, { choice: 'yes' });
    const got = await receivedCount(3);

    for (const r of got) {
      const expected = createHmac('sha1', secret).update(r.raw).digest('hex');
      expect(r.headers['x-spark-signature']).toBe(expected);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    expect(got.map((r) => [r.json.name, r.json.resource, r.json.data.id])).toEqual([
      ['firehose', 'messages', asked.id],
      ['firehose', 'messages', card.id],
      ['actions', 'attachmentActions', action.id],
    ]);
    const [userEvent, botEvent, actionEvent] = got.map((r) => r.json);
    expect(Object.keys(userEvent)).toEqual(['id', 'name', 'targetUrl', 'resource', 'event', 'orgId', 'createdBy', 'appId', 'ownedBy', 'status', 'created', 'actorId', 'data']);
    expect(userEvent).toMatchObject({ id: firehose.id, event: 'created', actorId: space.users[0].id });
    expect(userEvent.data).toMatchObject({ roomId: group, roomType: 'group', personEmail: 'alice@example.com', mentionedPeople: [space.bot.id] });
    expect(botEvent.actorId).toBe(space.bot.id);
    expect(actionEvent).toMatchObject({ id: actionsHook.id, actorId: space.users[1].id });
    expect(actionEvent.data).toEqual({ id: action.id, type: 'submit', messageId: card.id, personId: space.users[1].id, roomId: group, created: action.created });
    // The action itself carries the inputs, fetched by id as the framework does.
    expect((await api('GET', `/v1/attachment/actions/${action.id}`)).json.inputs).toEqual({ choice: 'yes' });
    expect(space.deliveries.slice(-3).map((d) => d.status)).toEqual([200, 200, 200]);
  });

  it('records a failing receiver\'s status and sends no signature without a secret', async () => {
    const hook = (await api('POST', '/v1/webhooks', { name: 'fails', targetUrl: `${receiverUrl}/fails`, resource: 'messages', event: 'created' })).json;
    received.length = 0;
    await space.userSays('alice@example.com', 'anyone?', { roomId: space.rooms.direct['alice@example.com'].id });
    const [r] = await receivedCount(1);
    expect(r.headers['x-spark-signature']).toBeUndefined();
    expect(r.json.data.roomType).toBe('direct');
    const delivery = await space.waitForDelivery((d) => d.webhookId === hook.id);
    expect(delivery).toMatchObject({ status: 500, signature: undefined, resource: 'messages', event: 'created' });
    expect(delivery.body).toBe(r.raw.toString('utf8'));
  });
});
