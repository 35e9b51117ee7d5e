// The local space page: plain browser JavaScript, no build step. It talks only to /ui/* (loopback, no token).
// Rule for this file: text from messages reaches the DOM through textContent, or through safeMarkdown(), which
// escapes everything first and then adds a handful of tags of its own.
/* global AdaptiveCards */
'use strict';

const state = {
  bot: null,
  users: [],
  rooms: [],
  me: null, // email of the demo user the page acts as
  roomId: null,
  messages: new Map(), // id -> ui message, in arrival (= creation) order
  unread: new Map(), // roomId -> count
  replyTo: null, // id of the thread parent the composer replies to
};

const $ = (id) => document.getElementById(id);

// ---- safe text rendering ---------------------------------------------------------------------------------------

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Inline markdown over already-escaped text: bold, italic, links (http/https only), Webex mentions. */
function inlineMarkdown(escaped) {
  return escaped
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_\n]+)__/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,!?:;]|$)/g, '$1<em>$2</em>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,!?:;]|$)/g, '$1<em>$2</em>')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
    .replace(/&lt;(https?:\/\/[^\s&]+)&gt;/g, '<a href="$1" target="_blank" rel="noopener noreferrer">$1</a>')
    .replace(/&lt;@(?:personEmail|personId):[^|&]+\|([^&]+)&gt;/g, '<span class="mention">$1</span>')
    .replace(/&lt;@personEmail:([^&]+)&gt;/g, '<span class="mention">$1</span>');
}

// CommonMark backslash escapes (`\*`, `\_`, `\[`, …): the character is shown as itself, never as markup. It is
// parked as a private-use placeholder while the markdown rules run, then put back (HTML-escaped).
function hideEscapes(s) {
  return s.replace(/\\([!-\/:-@\[-`{-~])/g, (_, c) => `\uE000${c.charCodeAt(0)}\uE001`);
}
function showEscapes(html) {
  return html.replace(/\uE000(\d+)\uE001/g, (_, n) => escapeHtml(String.fromCharCode(Number(n))));
}

/** A small, safe markdown: fenced code, inline code, bold, italic, links, bullets, line breaks. */
function safeMarkdown(src) {
  const out = [];
  const fences = String(src).split(/```/);
  fences.forEach((chunk, i) => {
    if (i % 2 === 1) {
      // Drop a language tag on the fence line.
      out.push(`<pre>${escapeHtml(chunk.replace(/^[a-z0-9-]*\n/i, ''))}</pre>`);
      return;
    }
    const spans = chunk.split(/`([^`\n]+)`/);
    const html = spans
      .map((s, j) => (j % 2 === 1 ? `<code>${escapeHtml(s)}</code>` : inlineMarkdown(escapeHtml(hideEscapes(s)))))
      .join('')
      .replace(/(^|\n)[-*] /g, '$1• ')
      .replace(/^\n+|\n+$/g, '')
      .replace(/\n/g, '<br>');
    out.push(showEscapes(html));
  });
  return out.join('');
}

// ---- Adaptive Cards ----------------------------------------------------------------------------------------------

const fg = (d, s) => ({ default: d, subtle: s ?? d });
const FOREGROUND = {
  default: fg('#121212', '#6b6b6b'),
  accent: fg('#0a78cc', '#3a8fd1'),
  good: fg('#1d805f', '#3f9a7c'),
  warning: fg('#a0600f', '#b8782a'),
  attention: fg('#d4371c', '#dd5a43'),
  dark: fg('#121212', '#454545'),
  light: fg('#ffffff', '#f0f0f0'),
};
const style = (backgroundColor) => ({ backgroundColor, foregroundColors: FOREGROUND });
// Webex-like: light theme, Segoe/Helvetica, 14 px body text, roomy spacing, pill buttons (see style.css).
const HOST_CONFIG = {
  fontFamily: '"Segoe UI", "Helvetica Neue", Helvetica, Arial, sans-serif',
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 28, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#dedede' },
  fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 24 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  lineHeights: { small: 16, default: 20, medium: 22, large: 26, extraLarge: 30 },
  imageSizes: { small: 32, medium: 64, large: 120 },
  containerStyles: {
    default: style('#ffffff'),
    emphasis: style('#f5f5f5'),
    accent: style('#e8f3fc'),
    good: style('#e6f5ef'),
    attention: style('#fcebe8'),
    warning: style('#fdf3e2'),
  },
  actions: {
    maxActions: 6,
    spacing: 'medium',
    buttonSpacing: 8,
    showCard: { actionMode: 'inline', inlineTopMargin: 12, style: 'emphasis' },
    actionsOrientation: 'horizontal',
    actionAlignment: 'left',
    iconPlacement: 'leftOfTitle',
  },
  adaptiveCard: { allowCustomStyle: true },
  factSet: {
    title: { color: 'default', size: 'default', isSubtle: true, weight: 'default', wrap: true, maxWidth: 160 },
    value: { color: 'default', size: 'default', isSubtle: false, weight: 'default', wrap: true },
    spacing: 10,
  },
  inputs: {
    label: { inputSpacing: 'small', requiredInputs: { weight: 'bolder', suffix: ' *' }, optionalInputs: { weight: 'bolder' } },
    errorMessage: { size: 'small', color: 'attention' },
  },
};

if (window.AdaptiveCards) {
  // TextBlocks use the same safe markdown as messages instead of the renderer's (absent) markdown-it.
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = safeMarkdown(text);
    result.didProcess = true;
  };
}

function renderCard(message, content) {
  const frame = document.createElement('div');
  frame.className = 'card-frame';
  if (!window.AdaptiveCards) {
    frame.textContent = 'The Adaptive Cards renderer did not load.';
    return frame;
  }
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(HOST_CONFIG);
  card.onExecuteAction = (action) => {
    const type = action.getJsonTypeName();
    if (type === 'Action.OpenUrl') {
      window.open(action.url, '_blank', 'noopener');
    } else if (type === 'Action.Submit') {
      // As in Webex, `inputs` is the card's input values merged with the action's `data`.
      submitCard(message.id, action.data ?? {});
    }
  };
  try {
    card.parse(content);
    const el = card.render();
    if (el) frame.appendChild(el);
  } catch (err) {
    const p = document.createElement('div');
    p.className = 'card-error';
    p.textContent = `This card could not be rendered: ${err.message}`;
    frame.appendChild(p);
  }
  return frame;
}

// ---- API ------------------------------------------------------------------------------------------------------------

async function postJson(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.message || `${res.status} ${res.statusText}`);
  return json;
}

async function submitCard(messageId, inputs) {
  try {
    await postJson('/ui/actions', { email: state.me, messageId, inputs });
    toast(`Submitted as ${me().displayName}`);
  } catch (err) {
    toast(`Submit failed: ${err.message}`);
  }
}

async function send() {
  const box = $('composer');
  const text = box.value.trim();
  if (!text) return;
  box.value = '';
  autosize();
  try {
    await postJson('/ui/messages', { email: state.me, roomId: state.roomId, text, parentId: state.replyTo ?? undefined });
    setReplyTo(null);
  } catch (err) {
    box.value = text;
    toast(`Not sent: ${err.message}`);
  }
}

// ---- rendering --------------------------------------------------------------------------------------------------------

const COLORS = ['#7b3fd8', '#0a78cc', '#1d805f', '#c2410c', '#be185d', '#0e7490'];
function person(id) {
  if (state.bot && id === state.bot.id) return state.bot;
  return state.users.find((u) => u.id === id);
}
function me() {
  return state.users.find((u) => u.emails[0] === state.me);
}
function avatar(p, size) {
  const el = document.createElement('div');
  el.className = `avatar ${size ?? ''}`;
  const name = p ? p.displayName : '?';
  el.textContent = name.split(/\s+/).map((w) => w[0]).join('').slice(0, 2).toUpperCase();
  const isBot = p && p.type === 'bot';
  el.style.background = isBot ? 'linear-gradient(135deg, #07c1e4, #0a78cc)' : COLORS[[...name].reduce((a, c) => a + c.charCodeAt(0), 0) % COLORS.length];
  return el;
}
function roomTitle(room) {
  // Seen by a person, a direct room with the bot is named after the bot.
  return room.type === 'direct' ? state.bot.displayName : room.title;
}
function visibleRooms() {
  return state.rooms.filter((r) => r.memberEmails.includes(state.me));
}

function renderRooms() {
  const nav = $('rooms');
  nav.replaceChildren();
  for (const room of visibleRooms()) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `room${room.id === state.roomId ? ' active' : ''}`;
    b.dataset.roomId = room.id;
    b.appendChild(room.type === 'direct' ? avatar(state.bot) : avatar({ displayName: room.title, type: 'group' }));
    const name = document.createElement('span');
    name.className = 'room-name';
    name.textContent = roomTitle(room);
    const kind = document.createElement('span');
    kind.className = 'room-kind';
    kind.textContent = room.type === 'direct' ? 'Direct message' : `${room.memberEmails.length} people`;
    name.appendChild(kind);
    b.appendChild(name);
    const unread = state.unread.get(room.id);
    if (unread) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(unread);
      b.appendChild(badge);
    }
    b.addEventListener('click', () => selectRoom(room.id));
    nav.appendChild(b);
  }
}

function renderHeader() {
  const room = state.rooms.find((r) => r.id === state.roomId);
  $('room-title').textContent = roomTitle(room);
  $('room-avatar').replaceWith(Object.assign(room.type === 'direct' ? avatar(state.bot, 'big') : avatar({ displayName: room.title }, 'big'), { id: 'room-avatar' }));
  const names = room.memberEmails.map((e) => (e === state.bot.emails[0] ? state.bot : state.users.find((u) => u.emails[0] === e))?.displayName ?? e);
  $('room-members').textContent = names.join(', ');
  $('mention-chip').textContent = room.type === 'group' ? `@${state.bot.displayName}` : '';
  $('composer').placeholder = `Write a message to ${roomTitle(room)}`;
}

function messageText(m) {
  const el = document.createElement('div');
  el.className = 'msg-text';
  if (m.markdown) {
    el.innerHTML = safeMarkdown(m.markdown);
  } else if (m.text) {
    const mentionsBot = (m.mentionedPeople ?? []).includes(state.bot.id) && m.text.startsWith(state.bot.displayName);
    if (mentionsBot) {
      const span = document.createElement('span');
      span.className = 'mention';
      span.textContent = state.bot.displayName;
      el.appendChild(span);
      const rest = document.createElement('span');
      rest.innerHTML = safeMarkdown(m.text.slice(state.bot.displayName.length));
      el.appendChild(rest);
    } else {
      el.innerHTML = safeMarkdown(m.text);
    }
  }
  return el;
}

/** A document outline drawn as SVG (emoji fonts are often missing on servers and CI). */
function fileIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 18 22');
  svg.setAttribute('class', 'file-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M2 1h9l5 5v15H2z M11 1v5h5 M5 11h8 M5 14h8 M5 17h5');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.4');
  path.setAttribute('stroke-linejoin', 'round');
  svg.appendChild(path);
  return svg;
}

function renderMessage(m) {
  const author = person(m.personId) ?? { displayName: m.personEmail, type: 'person' };
  const row = document.createElement('div');
  row.className = 'msg';
  row.dataset.id = m.id;
  row.dataset.author = m.personEmail;
  row.appendChild(avatar(author, m.parentId ? 'small' : ''));
  const main = document.createElement('div');
  main.className = 'msg-main';
  const head = document.createElement('div');
  head.className = 'msg-head';
  const name = document.createElement('span');
  name.className = 'author';
  name.textContent = author.displayName;
  head.appendChild(name);
  if (author.type === 'bot') {
    const tag = document.createElement('span');
    tag.className = 'bot-tag';
    tag.textContent = 'Bot';
    head.appendChild(tag);
  }
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date(m.created).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  time.title = m.created;
  head.appendChild(time);
  main.appendChild(head);

  const card = (m.attachments ?? []).find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  // Webex shows the card instead of its fallback text.
  main.appendChild(card ? renderCard(m, card.content) : messageText(m));

  if (m.fileInfo && m.fileInfo.length) {
    const files = document.createElement('div');
    files.className = 'files';
    for (const f of m.fileInfo) {
      const a = document.createElement('a');
      a.className = 'file';
      a.href = f.url;
      a.setAttribute('download', f.name);
      const icon = fileIcon();
      const label = document.createElement('span');
      label.textContent = f.name;
      a.append(icon, label);
      if (typeof f.size === 'number') {
        const size = document.createElement('span');
        size.className = 'file-size';
        size.textContent = f.size < 1024 ? `${f.size} B` : f.size < 1048576 ? `${(f.size / 1024).toFixed(1)} KB` : `${(f.size / 1048576).toFixed(1)} MB`;
        a.appendChild(size);
      }
      files.appendChild(a);
    }
    main.appendChild(files);
  }

  if (!m.parentId) {
    const thread = document.createElement('div');
    thread.className = 'thread';
    main.appendChild(thread);
    const reply = document.createElement('button');
    reply.type = 'button';
    reply.className = 'reply-btn';
    reply.textContent = 'Reply to thread';
    reply.addEventListener('click', () => setReplyTo(m.id));
    main.appendChild(reply);
  }
  row.appendChild(main);
  return row;
}

function placeMessage(m) {
  const conv = $('conversation');
  conv.querySelector('.empty')?.remove();
  const atBottom = conv.scrollHeight - conv.scrollTop - conv.clientHeight < 80;
  const node = renderMessage(m);
  const parent = m.parentId ? conv.querySelector(`.msg[data-id="${CSS.escape(m.parentId)}"] .thread`) : null;
  (parent ?? conv).appendChild(node);
  if (atBottom || m.personEmail === state.me) conv.scrollTop = conv.scrollHeight;
}

function renderConversation() {
  const conv = $('conversation');
  conv.replaceChildren();
  const inRoom = [...state.messages.values()].filter((m) => m.roomId === state.roomId);
  if (!inRoom.length) {
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = 'No messages yet. Say hello to the bot.';
    conv.appendChild(empty);
  }
  for (const m of inRoom) placeMessage(m);
  conv.scrollTop = conv.scrollHeight;
}

function setReplyTo(id) {
  state.replyTo = id;
  const chip = $('reply-chip');
  if (!id) {
    chip.hidden = true;
    return;
  }
  const parent = state.messages.get(id);
  const who = person(parent?.personId)?.displayName ?? 'message';
  const snippet = (parent?.text ?? 'card').slice(0, 60);
  $('reply-label').textContent = `Replying to ${who}: ${snippet}`;
  chip.hidden = false;
  $('composer').focus();
}

function selectRoom(id) {
  state.roomId = id;
  state.unread.delete(id);
  setReplyTo(null);
  renderRooms();
  renderHeader();
  renderConversation();
  $('composer').focus();
}

function selectUser(email) {
  state.me = email;
  localStorage.setItem('localSpace.me', email);
  $('user-switch').value = email;
  const room = visibleRooms().find((r) => r.id === state.roomId) ?? visibleRooms().find((r) => r.type === 'group') ?? visibleRooms()[0];
  selectRoom(room.id);
}

let toastTimer;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 2500);
}

function autosize() {
  const box = $('composer');
  box.style.height = 'auto';
  box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
}

// ---- live updates ---------------------------------------------------------------------------------------------------

function connect() {
  const es = new EventSource('/ui/events');
  es.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    const known = state.messages.has(m.id);
    state.messages.set(m.id, m);
    if (known) return; // a reconnect re-sends the snapshot
    if (m.roomId === state.roomId) {
      placeMessage(m);
    } else if (state.rooms.some((r) => r.id === m.roomId)) {
      state.unread.set(m.roomId, (state.unread.get(m.roomId) ?? 0) + 1);
      renderRooms();
    }
  });
  es.addEventListener('deleted', (e) => {
    const { id } = JSON.parse(e.data);
    state.messages.delete(id);
    document.querySelector(`.msg[data-id="${CSS.escape(id)}"]`)?.remove();
  });
  es.addEventListener('ready', () => {
    document.body.dataset.ready = 'true';
  });
}

async function main() {
  const res = await fetch('/ui/state');
  const s = await res.json();
  state.bot = s.bot;
  state.users = s.users;
  state.rooms = s.rooms;
  const sw = $('user-switch');
  for (const u of state.users) {
    const o = document.createElement('option');
    o.value = u.emails[0];
    o.textContent = `${u.displayName} (${u.emails[0]})`;
    sw.appendChild(o);
  }
  sw.addEventListener('change', () => selectUser(sw.value));
  const saved = localStorage.getItem('localSpace.me');
  state.roomId = state.rooms.find((r) => r.type === 'group')?.id ?? null;
  selectUser(state.users.some((u) => u.emails[0] === saved) ? saved : state.users[0].emails[0]);

  const box = $('composer');
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  box.addEventListener('input', autosize);
  $('send').addEventListener('click', send);
  $('reply-cancel').addEventListener('click', () => setReplyTo(null));
  connect();
}

main().catch((err) => {
  document.body.textContent = `The local space page failed to start: ${err.message}`;
});
