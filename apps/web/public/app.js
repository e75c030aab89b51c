// streamchat web client: login, the session's connection, and every user action.
// The wire protocol is docs/protocol.md; state lives in js/store.js, drawing in js/views.js.
import { Connection } from './js/connection.js';
import * as store from './js/store.js';
import { state } from './js/store.js';
import { describeError, toast } from './js/toast.js';
import * as views from './js/views.js';

const TOKEN_KEY = 'streamchat.token';
const ROOM_KEY = 'streamchat.room';
// Guest names this browser has held → the last token of each: the proof that gets a
// returning guest its name (and its rooms) back. Kept across logouts, unlike TOKEN_KEY.
const GUESTS_KEY = 'streamchat.guests';
const TYPING_EVERY_MS = 3000; // typing.start at most this often; the server expires it after 5 s
const ROOM_LIST_EVERY_MS = 30_000; // new public rooms have no event: poll for them
const SEND_RETRIES = 6;
const RETRYABLE = new Set(['UNAVAILABLE', 'TIMEOUT', 'DISCONNECTED']);
const MAX_ATTACHMENTS = 10; // per message (docs/protocol.md "Attachments")
const LINK_RENEW_BEFORE_MS = 30_000; // a signed link this close to expiring is fetched anew

let config = null;
let conn = null;
let roomListTimer = null;
let lastTypingAt = { roomId: null, at: 0 };
let markTimer = null;
let sending = null; // the outbox entry whose message.send is under way
const marking = new Map(); // roomId → the seq of our read.mark still in flight
const linkRequests = new Set(); // attachment ids whose signed link is being fetched
let uploadKeys = 0;

/** Sends an op; a failure becomes a toast (and is re-thrown for callers that care). */
async function call(type, data, what = type) {
  try {
    return await conn.request(type, data);
  } catch (err) {
    // A dropped socket is shown by the status bar, and on reconnect the app resumes and
    // reloads the open room; a toast per request in flight would only repeat that.
    if (err.code !== 'STOPPED' && err.code !== 'DISCONNECTED') toast(describeError(err, what), 'error');
    throw err;
  }
}
const ignore = () => {};

/** The guest tokens this browser keeps, by lower-cased name (names are case-insensitive). */
function guestProofs() {
  try {
    const proofs = JSON.parse(localStorage.getItem(GUESTS_KEY) ?? '{}');
    return proofs && typeof proofs === 'object' ? proofs : {};
  } catch {
    return {};
  }
}

function keepGuestProof(username, token) {
  localStorage.setItem(GUESTS_KEY, JSON.stringify({ ...guestProofs(), [username.toLowerCase()]: token }));
}

// ---- session -----------------------------------------------------------------------------

async function boot() {
  views.bind(actions);
  store.onChange(views.render);
  try {
    const res = await fetch('/api/config');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = await res.json();
  } catch (err) {
    views.showLogin(`Cannot reach the server (${err.message}). Reload to try again.`);
    return;
  }
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) startSession(token);
  else views.showLogin(config.guestLogin ? '' : 'Guest login is turned off on this server.');
}

function startSession(token) {
  views.showApp();
  state.connection = { state: 'connecting', detail: null };
  conn = new Connection(config.wsUrl, token, {
    hello: onHello,
    event: onEvent,
    status: (s, detail) => {
      state.connection = { state: s, detail };
      // Without a socket we hear no typing.updated, so what we show would only go stale.
      if (s !== 'online') state.typing.clear();
      store.changed();
    },
    authFailed: () => {
      toast('Your session expired — please log in again.', 'error');
      endSession();
    },
  });
  conn.start();
  clearInterval(roomListTimer);
  roomListTimer = setInterval(() => {
    if (conn?.ready) refreshRooms().catch(ignore);
  }, ROOM_LIST_EVERY_MS);
}

function endSession() {
  clearInterval(roomListTimer);
  conn?.stop();
  conn = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ROOM_KEY);
  marking.clear();
  sending = null;
  store.reset();
  views.showLogin();
}

async function onHello(hello, reconnected) {
  state.me = { id: hello.userId, username: hello.username };
  state.usernames.set(hello.userId, hello.username);
  // Typing and presence may have changed while we were away; fresh member lists bring them back.
  state.typing.clear();
  store.changed();
  // Each step has shown its own toast if it failed; the next ones are still worth trying.
  if (reconnected) await resume().catch(ignore);
  await refreshRooms().catch(ignore);
  if (state.currentRoomId) await loadRoom(state.currentRoomId).catch(ignore);
  else if (!reconnected) openFirstRoom();
}

/**
 * After a reconnect: ask for what we missed in every room, from the newest seq we know.
 * The missed messages arrive as ordinary `message.created` (deduplicated by seq).
 */
async function resume() {
  const rooms = {};
  for (const r of state.rooms.values()) {
    if (!r.joined) continue;
    // A loaded room resumes from the last message it holds (room.list may have told us of a
    // newer seq whose message never reached us); others only need their counts right.
    const held = state.timelines.get(r.id);
    rooms[r.id] = held?.msgs.size ? Math.max(...held.msgs.keys()) : r.lastSeq;
  }
  if (!Object.keys(rooms).length) return;
  const { truncated = [], forbidden = [] } = await call('resume', { rooms }, 'catching up');
  // More was missed than the server replays: the loaded stretch has a hole, so drop it and
  // let the room load its newest page again when shown.
  for (const id of truncated) state.timelines.delete(id);
  for (const id of forbidden) store.leftRoom(id);
}

/** After a page load: the room this browser showed last, else any room of ours. */
function openFirstRoom() {
  const last = state.rooms.get(localStorage.getItem(ROOM_KEY) ?? '');
  const first = last?.joined ? last : [...state.rooms.values()].find((r) => r.joined);
  if (first) actions.openRoom(first.id);
}

function onEvent(frame) {
  const unknownRoom = store.applyEvent(frame);
  // A room we did not know about (joined on another device): fetch the list again.
  if (unknownRoom) refreshRooms().catch(ignore);
  if (frame.type === 'message.created' && frame.data.roomId === state.currentRoomId) scheduleMarkRead();
}

async function refreshRooms() {
  const { rooms } = await call('room.list', undefined, 'loading rooms');
  store.setRoomList(rooms);
}

/** `room.join` is also how a member opens a room: its reply is the newest page and the members. */
async function loadRoom(roomId) {
  const { room, members, messages } = await call('room.join', { roomId }, 'opening the room');
  store.upsertRoom(room, { joined: true });
  store.setMembers(roomId, members);
  store.loadSnapshot(roomId, messages);
  markRead(roomId);
}

// ---- read markers and typing -------------------------------------------------------------

/** Live messages in the open room: mark once a burst has settled, not per message. */
function scheduleMarkRead() {
  const roomId = state.currentRoomId;
  clearTimeout(markTimer);
  markTimer = setTimeout(() => markRead(roomId), 250);
}

/** Marks a room read up to its newest message, if the person can actually see it. */
function markRead(roomId) {
  const room = state.rooms.get(roomId);
  if (!room?.joined || roomId !== state.currentRoomId || document.visibilityState !== 'visible' || !conn?.ready) return;
  const seq = room.lastSeq;
  if (seq === 0 || seq <= Math.max(room.readSeq, marking.get(roomId) ?? 0)) return;
  marking.set(roomId, seq);
  conn.request('read.mark', { roomId, seq }).then(
    ({ seq: now }) => {
      if (marking.get(roomId) === seq) marking.delete(roomId);
      const r = state.rooms.get(roomId);
      if (r) r.readSeq = Math.max(r.readSeq, now);
      store.changed();
    },
    (err) => {
      if (marking.get(roomId) === seq) marking.delete(roomId);
      if (err.code !== 'STOPPED' && err.code !== 'DISCONNECTED') toast(describeError(err, 'marking as read'), 'error');
    },
  );
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !conn?.ready) return;
  scheduleMarkRead();
  refreshRooms().catch(ignore);
});

// ---- attachments -------------------------------------------------------------------------

/** An HTTP call to the api with the session's token; a refusal throws its `{code, message}`. */
async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${localStorage.getItem(TOKEN_KEY)}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error?.message ?? `HTTP ${res.status}`), { code: body.error?.code });
  return body;
}

/** Uploads one picked file; it waits in the composer until sent (or is dropped on failure). */
async function upload(file) {
  const entry = { key: ++uploadKeys, name: file.name, state: 'uploading' };
  state.uploads.push(entry);
  store.changed();
  const form = new FormData();
  form.append('file', file, file.name);
  try {
    entry.attachment = (await api('/api/uploads', { method: 'POST', body: form })).attachment;
    entry.state = 'ready';
  } catch (err) {
    state.uploads = state.uploads.filter((e) => e !== entry);
    toast(describeError(err, `Uploading ${file.name}`), 'error');
  }
  store.changed();
}

// ---- sending -----------------------------------------------------------------------------

/** crypto.randomUUID exists only in secure contexts (https, localhost); LAN http needs a fallback. */
function newClientMsgId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function queueSend(roomId, text, replyTo, attachments = []) {
  // Sending ends our typing on the server, so the next keystroke may announce it again.
  lastTypingAt = { roomId: null, at: 0 };
  const p = { clientMsgId: newClientMsgId(), roomId, text, replyTo, attachments, state: 'queued', note: null, attempts: 0 };
  state.outbox.set(p.clientMsgId, p);
  views.scrollToBottomNext();
  store.changed();
  pump();
}

/**
 * Sends go out one at a time, oldest first (the outbox Map keeps insertion order), so a
 * message held back by a retry is never overtaken by a later one. A person cannot type
 * faster than one round trip per message, so nothing is lost by not pipelining.
 */
function pump() {
  if (sending) return;
  const next = [...state.outbox.values()].find((p) => p.state === 'queued');
  if (!next) return;
  sending = next;
  trySend(next);
}

function sendFinished(p) {
  if (sending !== p) return;
  sending = null;
  pump();
}

/**
 * One attempt at `message.send`. Retrying with the same clientMsgId is safe: the server
 * answers a used one with the first message and creates nothing.
 */
async function trySend(p) {
  if (state.outbox.get(p.clientMsgId) !== p) return sendFinished(p); // discarded, or logged out since
  p.attempts++;
  p.state = 'sending';
  store.changed();
  try {
    const { message } = await conn.request('message.send', {
      roomId: p.roomId,
      text: p.text,
      clientMsgId: p.clientMsgId,
      ...(p.replyTo ? { replyTo: p.replyTo } : {}),
      ...(p.attachments.length ? { attachments: p.attachments } : {}),
    });
    store.putMessage(message, { replace: false });
    state.outbox.delete(p.clientMsgId);
    store.changed();
    sendFinished(p);
  } catch (err) {
    if (state.outbox.get(p.clientMsgId) !== p || err.code === 'STOPPED') return sendFinished(p);
    if (err.code === 'RATE_LIMITED') {
      const wait = err.retryAfterMs ?? 1000;
      p.state = 'retrying';
      p.note = `sending in ${Math.ceil(wait / 1000)} s`;
      toast('You are sending quickly — the rest will go out in a moment.');
      setTimeout(() => trySend(p), wait);
    } else if (RETRYABLE.has(err.code) && p.attempts < SEND_RETRIES) {
      // Time spent offline is not the server failing: only count attempts made while connected.
      if (err.code === 'DISCONNECTED' || !conn?.ready) p.attempts--;
      const wait = Math.min(8000, 500 * 2 ** p.attempts);
      p.state = 'retrying';
      p.note = err.code === 'DISCONNECTED' ? 'connection lost, will resend' : 'no answer yet, retrying';
      setTimeout(() => trySend(p), wait);
    } else {
      p.state = 'failed';
      p.note = describeError(err);
      toast(describeError(err, 'Message not sent'), 'error');
      sendFinished(p);
    }
    store.changed();
  }
}

// ---- actions (called by views) -----------------------------------------------------------

const actions = {
  async login(username) {
    views.setLoginBusy(true);
    try {
      // A name this browser held before: send its last token so the server gives it back.
      const proof = guestProofs()[username.toLowerCase()];
      const res = await fetch('/api/auth/guest', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(proof ? { username, token: proof } : { username }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        const msg =
          body?.error?.code === 'CONFLICT'
            ? 'That name is taken. Pick another one.'
            : body?.error?.code === 'RATE_LIMITED'
              ? `Too many attempts; try again in ${Math.ceil((body.error.retryAfterMs ?? 0) / 1000)} s.`
              : body?.error?.message ?? `HTTP ${res.status}`;
        views.showLogin(`Login failed: ${msg}`);
        toast(`Login failed: ${msg}`, 'error');
        return;
      }
      localStorage.setItem(TOKEN_KEY, body.token);
      keepGuestProof(body.user.username, body.token);
      startSession(body.token);
    } catch (err) {
      views.showLogin(`Login failed: ${err.message}`);
      toast(`Login failed: ${err.message}`, 'error');
    } finally {
      views.setLoginBusy(false);
    }
  },

  logout() {
    endSession();
  },

  refreshRooms: () => refreshRooms().catch(ignore),

  async openRoom(roomId) {
    if (state.currentRoomId !== roomId) {
      state.currentRoomId = roomId;
      localStorage.setItem(ROOM_KEY, roomId);
      state.replyTo = null;
      state.editing = null;
      if (state.thread?.roomId !== roomId) store.closeThread();
      views.setComposerText('');
      store.changed();
    }
    await loadRoom(roomId).catch(ignore);
    views.focusComposer();
  },

  async createRoom({ name, topic, kind }) {
    const { room } = await call('room.create', { name, topic, kind }, 'creating the room').catch(() => ({}));
    if (!room) return;
    store.upsertRoom(room, { joined: true, unread: 0 });
    await actions.openRoom(room.id);
  },

  async openDm(userId) {
    const { room } = await call('dm.open', { userId }, 'opening the DM').catch(() => ({}));
    if (!room) return;
    store.upsertRoom(room, { joined: true });
    await actions.openRoom(room.id);
  },

  async invite(userId) {
    const roomId = state.currentRoomId;
    if (!roomId) return;
    await call('room.invite', { roomId, userId }, 'inviting').then(() => toast('Invited.'), ignore);
  },

  async leaveRoom() {
    const room = state.rooms.get(state.currentRoomId);
    if (!room || !confirm(`Leave ${store.displayName(room)}?`)) return;
    await call('room.leave', { roomId: room.id }, 'leaving').then(() => store.leftRoom(room.id), ignore);
  },

  showMembers() {
    state.panel = 'members';
    const roomId = state.currentRoomId;
    if (roomId) call('room.members', { roomId }, 'loading members').then(({ members }) => store.setMembers(roomId, members), ignore);
    store.changed();
  },

  async setPresence(status) {
    await call('presence.set', { status }, 'setting your status').then(() => {
      state.myPresence = status;
      store.changed();
    }, () => store.changed());
  },

  async copyMyId() {
    const id = state.me?.id ?? '';
    try {
      await navigator.clipboard.writeText(id);
      toast('Your user id is on the clipboard.');
    } catch {
      // No clipboard outside secure contexts: select it so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(document.getElementById('me-id'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      toast('Press Ctrl+C to copy your id.');
    }
  },

  async loadOlder() {
    const roomId = state.currentRoomId;
    const t = state.timelines.get(roomId);
    if (!t || t.loadingOlder) return;
    const oldest = store.sorted(t.msgs)[0]?.seq;
    if (!oldest || oldest <= 1) return;
    t.loadingOlder = true;
    store.changed();
    try {
      const { messages, hasMore } = await call('message.history', { roomId, beforeSeq: oldest, limit: 50 }, 'loading older messages');
      store.prependPage(roomId, messages, hasMore);
    } catch {
      // toast shown
    } finally {
      t.loadingOlder = false;
      store.changed();
    }
  },

  /** The composer's Enter: an edit when editing, otherwise a (reply) message. */
  submitComposer(text) {
    const roomId = state.currentRoomId;
    if (!roomId) return false;
    if (text.length > 4000) {
      toast('Messages can be at most 4000 characters.', 'error');
      return false;
    }
    if (state.editing) {
      const m = state.editing;
      state.editing = null;
      store.changed();
      call('message.edit', { messageId: m.id, text }, 'editing').then(({ message }) => store.putMessage(message, { replace: true }), ignore);
      return true;
    }
    if (state.uploads.some((u) => u.state === 'uploading')) {
      toast('Wait a moment: files are still uploading.');
      return false;
    }
    const files = state.uploads.map((u) => u.attachment);
    // A message always has text (the protocol requires it): files alone go under their names.
    queueSend(roomId, text.trim() ? text : files.map((f) => f.name).join(', '), state.replyTo?.id, files.map((f) => f.id));
    state.replyTo = null;
    state.uploads = [];
    store.changed();
    return true;
  },

  /** Files picked in the composer start uploading at once. */
  attachFiles(files) {
    const room = MAX_ATTACHMENTS - state.uploads.length;
    if (files.length > room) toast(`A message takes at most ${MAX_ATTACHMENTS} files.`, 'error');
    for (const file of [...files].slice(0, Math.max(0, room))) upload(file);
  },

  removeUpload(key) {
    state.uploads = state.uploads.filter((u) => u.key !== key);
    store.changed();
  },

  /** Whether the composer may send without text (it has files). */
  hasUploads() {
    return state.uploads.length > 0;
  },

  /**
   * A signed link to show an attachment (an <img> cannot send our token), or undefined while
   * it is being fetched (the view redraws when it arrives).
   */
  attachmentLink(id) {
    const link = state.attachmentLinks.get(id);
    if (link && Date.parse(link.expiresAt) - Date.now() > LINK_RENEW_BEFORE_MS) return link.url;
    if (!linkRequests.has(id)) {
      linkRequests.add(id);
      api(`/api/attachments/${encodeURIComponent(id)}/link`)
        .then((fresh) => {
          state.attachmentLinks.set(id, fresh);
          store.changed();
        }, ignore)
        .finally(() => linkRequests.delete(id));
    }
    return link?.url;
  },

  /** Opens an attachment (a file downloads, an image shows) through a fresh signed link. */
  async openAttachment(attachment) {
    try {
      const { url } = await api(`/api/attachments/${encodeURIComponent(attachment.id)}/link`);
      const a = document.createElement('a');
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener';
      a.download = attachment.name;
      a.click();
    } catch (err) {
      toast(describeError(err, `Opening ${attachment.name}`), 'error');
    }
  },

  sendThreadReply(text) {
    const th = state.thread;
    if (!th) return false;
    queueSend(th.roomId, text, th.root.id);
    return true;
  },

  retrySend(clientMsgId) {
    const p = state.outbox.get(clientMsgId);
    if (!p || p.state !== 'failed') return;
    p.attempts = 0;
    p.state = 'queued';
    store.changed();
    pump();
  },

  discardSend(clientMsgId) {
    state.outbox.delete(clientMsgId);
    store.changed();
  },

  typing() {
    const roomId = state.currentRoomId;
    const now = Date.now();
    if (!roomId || !conn?.ready || state.editing) return;
    if (lastTypingAt.roomId === roomId && now - lastTypingAt.at < TYPING_EVERY_MS) return;
    lastTypingAt = { roomId, at: now };
    call('typing.start', { roomId }, 'typing').catch(ignore);
  },

  startReply(m) {
    state.editing = null;
    state.replyTo = m;
    store.changed();
    views.focusComposer();
  },

  startEdit(m) {
    state.replyTo = null;
    state.editing = m;
    views.setComposerText(m.text);
    store.changed();
  },

  cancelComposerMode() {
    if (state.editing) views.setComposerText('');
    state.editing = null;
    state.replyTo = null;
    store.changed();
  },

  async deleteMessage(m) {
    if (!confirm('Delete this message?')) return;
    await call('message.delete', { messageId: m.id }, 'deleting').then(() => store.markDeleted(m.roomId, m.id), ignore);
  },

  async toggleReaction(m, emoji) {
    const current = store.findMessage(m.roomId, m.id) ?? m;
    const had = current.reactions.some((r) => r.emoji === emoji && r.userIds.includes(state.me?.id));
    await call(had ? 'reaction.remove' : 'reaction.add', { messageId: m.id, emoji }, 'reacting').catch(ignore);
  },

  async openThread(root) {
    store.openThread(root.roomId, root);
    try {
      const page = await call('message.history', { roomId: root.roomId, threadOf: root.id, limit: 50 }, 'loading the thread');
      const th = state.thread;
      if (th?.root.id !== root.id) return; // another thread was opened meanwhile
      th.root = page.root ?? th.root;
      for (const msg of page.messages) th.msgs.set(msg.seq, msg);
      th.hasMore = page.hasMore;
    } catch {
      // toast shown
    } finally {
      if (state.thread?.root.id === root.id) state.thread.loading = false;
      store.changed();
    }
  },

  /** "↪ reply to …": open the thread of the message replied to, even when it is not loaded. */
  openThreadOf(roomId, messageId) {
    const known = store.findMessage(roomId, messageId);
    actions.openThread(known ?? { id: messageId, roomId, seq: 0, author: { id: '', username: '…' }, text: '', createdAt: new Date().toISOString(), reactions: [] });
  },

  async loadOlderReplies() {
    const th = state.thread;
    if (!th) return;
    const oldest = store.sorted(th.msgs)[0]?.seq;
    const page = await call('message.history', { roomId: th.roomId, threadOf: th.root.id, beforeSeq: oldest, limit: 50 }, 'loading replies').catch(() => null);
    if (!page || state.thread !== th) return;
    for (const msg of page.messages) th.msgs.set(msg.seq, msg);
    th.hasMore = page.hasMore;
    store.changed();
  },

  closeThread() {
    store.closeThread();
  },
};

// For debugging in the console, and for the end-to-end test to cut the socket on purpose.
window.streamchat = {
  state,
  goOffline: () => conn?.goOffline(),
  goOnline: () => conn?.goOnline(),
};

boot();
