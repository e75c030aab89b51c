// streamchat web client: login, the session's connection, and every user action.
// The connection is the SDK (libs/client, built for the browser into vendor/ by `npm run build`):
// it reconnects, resumes the rooms it follows, queues sends and answers heartbeats. The wire
// protocol is docs/protocol.md; state lives in js/store.js, drawing in js/views.js.
import { ChatClient, ChatHttpApi } from './vendor/sdk/client/src/index.js';
import { HoldableWebSocket } from './js/holdable-socket.js';
import * as push from './js/push.js';
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
// New public rooms have no event (docs/protocol.md "Room list"): the list is asked for again
// this often, and whenever the tab comes back into view.
const ROOM_LIST_EVERY_MS = 10_000;
const MAX_ATTACHMENTS = 10; // per message (docs/protocol.md "Attachments")
const LINK_RENEW_BEFORE_MS = 30_000; // a signed link this close to expiring is fetched anew

let config = null;
/** @type {ChatClient | null} */
let chat = null;
const http = new ChatHttpApi(location.origin);
let roomListTimer = null;
let lastTypingAt = { roomId: null, at: 0 };
let markTimer = null;
const marking = new Map(); // roomId → the seq of our read.mark still in flight
const linkRequests = new Set(); // attachment ids whose signed link is being fetched
let uploadKeys = 0;

/** The SDK's errors as the codes the views know (the server's own codes pass through). */
function withCode(err) {
  if (err && !err.code) {
    err.code =
      err.name === 'ConnectionLostError' ? 'DISCONNECTED' : err.name === 'ClientClosedError' ? 'STOPPED' : err.name === 'RequestTimeoutError' ? 'TIMEOUT' : 'INTERNAL';
  }
  return err;
}

const ready = () => chat?.state === 'ready';

/** Sends an op; a failure becomes a toast (and is re-thrown for callers that care). */
async function call(type, data, what = type) {
  if (!chat) throw Object.assign(new Error('logged out'), { code: 'STOPPED' });
  try {
    return await chat.request(type, data);
  } catch (err) {
    withCode(err);
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
  push.isSubscribed().then((on) => {
    state.pushOn = on;
    store.changed();
  }, ignore);
  if (token) startSession(token);
  else views.showLogin(config.guestLogin ? '' : 'Guest login is turned off on this server.');
}

function startSession() {
  views.showApp();
  state.connection = { state: 'connecting', detail: null };
  const client = new ChatClient({
    url: config.wsUrl,
    WebSocket: HoldableWebSocket,
    getToken: (reason) => tokenFor(reason),
  });
  chat = client;
  client.on('state', (s) => {
    if (chat !== client) return;
    if (s === 'ready') state.connection = { state: 'online', detail: null };
    else if (s === 'connecting' || s === 'reconnecting') {
      if (state.connection.state === 'online') state.connection = { state: 'reconnecting', detail: null };
    }
    // Without a socket we hear no typing.updated, so what we show would only go stale.
    if (s !== 'ready') state.typing.clear();
    store.changed();
  });
  client.on('reconnecting', ({ delayMs }) => {
    state.connection = HoldableWebSocket.held ? { state: 'offline', detail: null } : { state: 'waiting', detail: { inMs: delayMs } };
    store.changed();
  });
  client.on('closed', ({ code, reason }) => {
    if (chat !== client) return;
    if (code === 4001) {
      toast('Your session expired — please log in again.', 'error');
      endSession();
    } else {
      state.connection = { state: 'failed', detail: { message: `disconnected: ${reason}` } };
      store.changed();
    }
  });
  client.on('ready', (session) => onHello(session));
  client.on('message', (m) => onMessage(m));
  for (const type of store.EVENT_TYPES) client.on(type, (data) => onEvent({ type, data }));
  client.on('warning', ({ message }) => console.info(`[chat] ${message}`));
  client.connect().catch(ignore);
  clearInterval(roomListTimer);
  roomListTimer = setInterval(() => {
    if (ready()) refreshRooms().catch(ignore);
  }, ROOM_LIST_EVERY_MS);
}

/**
 * The SDK asks for a token to connect, to refresh one about to expire, and after one expired:
 * refresh while it is valid; an expired guest token still proves the guest (docs/protocol.md).
 */
async function tokenFor(reason) {
  const token = localStorage.getItem(TOKEN_KEY);
  if (reason === 'connect' || !token) return token ?? '';
  const session = reason === 'refresh' ? await http.refresh(token) : await http.guest(state.me?.username ?? '', token);
  localStorage.setItem(TOKEN_KEY, session.token);
  keepGuestProof(session.user.username, session.token);
  return session.token;
}

function endSession() {
  clearInterval(roomListTimer);
  const token = localStorage.getItem(TOKEN_KEY);
  // A shared browser should stop getting this user's notifications (docs/protocol.md "Push").
  if (token) push.unsubscribe(token).catch(ignore);
  const client = chat;
  chat = null;
  client?.close();
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ROOM_KEY);
  marking.clear();
  store.reset();
  views.showLogin();
}

async function onHello(session) {
  state.me = { id: session.userId, username: session.username };
  state.usernames.set(session.userId, session.username);
  // Typing and presence may have changed while we were away; fresh member lists bring them back.
  // Missed messages of the rooms we follow come from the SDK's resume, as `message` events.
  state.typing.clear();
  store.changed();
  // Each step has shown its own toast if it failed; the next ones are still worth trying.
  await refreshRooms().catch(ignore);
  const wanted = new URLSearchParams(location.search);
  if (!session.reconnected && wanted.get('room')) {
    // A notification's link: /?room=<id>&message=<id>.
    history.replaceState(null, '', '/');
    await actions.jumpTo(wanted.get('room'), wanted.get('message'));
  } else if (state.currentRoomId) await loadRoom(state.currentRoomId).catch(ignore);
  else if (!session.reconnected) openFirstRoom();
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
}

/** Each message once, in order per room (the SDK drops duplicates and fills gaps). */
function onMessage(m) {
  const known = state.rooms.has(m.roomId);
  // Arriving while the tab is in the background: the "new messages" line goes above it.
  if (document.visibilityState !== 'visible' && m.roomId === state.currentRoomId && m.author.id !== state.me?.id && state.newLine?.roomId !== m.roomId) {
    state.newLine = { roomId: m.roomId, afterSeq: m.seq - 1 };
  }
  store.putMessage(m, { replace: false });
  if (!known) refreshRooms().catch(ignore);
  if (m.roomId === state.currentRoomId) scheduleMarkRead();
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
  if (!room?.joined || roomId !== state.currentRoomId || document.visibilityState !== 'visible' || !ready()) return;
  const seq = room.lastSeq;
  if (seq === 0 || seq <= Math.max(room.readSeq, marking.get(roomId) ?? 0)) return;
  marking.set(roomId, seq);
  chat.request('read.mark', { roomId, seq }).then(
    ({ seq: now }) => {
      if (marking.get(roomId) === seq) marking.delete(roomId);
      const r = state.rooms.get(roomId);
      if (r) r.readSeq = Math.max(r.readSeq, now);
      store.changed();
    },
    (err) => {
      withCode(err);
      if (marking.get(roomId) === seq) marking.delete(roomId);
      if (err.code !== 'STOPPED' && err.code !== 'DISCONNECTED') toast(describeError(err, 'marking as read'), 'error');
    },
  );
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !ready()) return;
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

/**
 * Uploads one file (picked, dropped or pasted); it waits in the composer until sent (or is
 * dropped on failure). XMLHttpRequest rather than fetch: it reports upload progress.
 */
function upload(file) {
  const entry = { key: ++uploadKeys, name: file.name || 'pasted file', state: 'uploading', progress: 0 };
  state.uploads.push(entry);
  store.changed();
  const form = new FormData();
  form.append('file', file, entry.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/uploads');
  xhr.setRequestHeader('authorization', `Bearer ${localStorage.getItem(TOKEN_KEY)}`);
  xhr.responseType = 'json';
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    entry.progress = e.loaded / e.total;
    store.changed();
  };
  const failed = (message, code) => {
    state.uploads = state.uploads.filter((e) => e !== entry);
    toast(describeError(Object.assign(new Error(message), { code }), `Uploading ${entry.name}`), 'error');
    store.changed();
  };
  xhr.onload = () => {
    const body = xhr.response ?? {};
    if (xhr.status !== 201 && xhr.status !== 200) return failed(body.error?.message ?? `HTTP ${xhr.status}`, body.error?.code);
    entry.attachment = body.attachment;
    entry.state = 'ready';
    entry.progress = 1;
    store.changed();
  };
  xhr.onerror = () => failed('the upload did not go through');
  xhr.send(form);
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
  const p = { clientMsgId: newClientMsgId(), roomId, text, replyTo, attachments, state: 'sending', note: null };
  state.outbox.set(p.clientMsgId, p);
  views.scrollToBottomNext();
  store.changed();
  trySend(p);
}

/**
 * The SDK's outbox holds the send while disconnected and retries it (same clientMsgId) after
 * RATE_LIMITED / UNAVAILABLE; here it only shows as pending until committed, or failed.
 */
function trySend(p) {
  p.state = 'sending';
  p.note = null;
  store.changed();
  const client = chat;
  client
    .request('message.send', {
      roomId: p.roomId,
      text: p.text,
      clientMsgId: p.clientMsgId,
      ...(p.replyTo ? { replyTo: p.replyTo } : {}),
      ...(p.attachments.length ? { attachments: p.attachments } : {}),
    })
    .then(
      (reply) => {
        store.putMessage(reply.message, { replace: false });
        state.outbox.delete(p.clientMsgId);
        store.changed();
      },
      (err) => {
        withCode(err);
        if (state.outbox.get(p.clientMsgId) !== p || err.code === 'STOPPED' || chat !== client) return;
        p.state = 'failed';
        p.note = describeError(err);
        toast(describeError(err, 'Message not sent'), 'error');
        store.changed();
      },
    );
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
      startSession();
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

  /** Files dropped on the room or pasted into the composer, like picked ones. */
  dropFiles(files) {
    if (files?.length) actions.attachFiles(files);
  },

  refreshRooms: () => refreshRooms().catch(ignore),

  async openRoom(roomId) {
    views.closeDrawer();
    if (state.currentRoomId !== roomId) {
      // The "new messages" line goes above the first message this person has not read.
      const r = state.rooms.get(roomId);
      state.newLine = r?.joined && r.lastSeq > r.readSeq ? { roomId, afterSeq: r.readSeq } : null;
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

  /** The user picker: a name typed in full finds that person (`user.lookup`), else null. */
  async lookupUser(username) {
    try {
      const { user } = await chat.request('user.lookup', { username });
      state.usernames.set(user.id, user.username);
      return user;
    } catch (err) {
      withCode(err);
      if (err.code === 'NOT_FOUND' || err.code === 'BAD_REQUEST') return null;
      toast(describeError(err, 'looking up'), 'error');
      return null;
    }
  },

  /** People this browser has seen (members, authors), for the picker's suggestions. */
  knownUsers() {
    return [...state.usernames].filter(([id]) => id !== state.me?.id).map(([id, username]) => ({ id, username }));
  },

  // ---- moderation (owners and moderators, docs/protocol.md "Additions (moderation)")

  async kick(userId) {
    const roomId = state.currentRoomId;
    await call('room.kick', { roomId, userId }, 'kicking').then(() => toast(`${state.usernames.get(userId) ?? 'They'} left the room.`), ignore);
  },

  async ban(userId) {
    const roomId = state.currentRoomId;
    await call('room.ban', { roomId, userId }, 'banning').then(() => {
      if (!state.bans.has(roomId)) state.bans.set(roomId, new Map());
      state.bans.get(roomId).set(userId, state.usernames.get(userId) ?? userId);
      store.changed();
    }, ignore);
  },

  async unban(userId) {
    const roomId = state.currentRoomId;
    await call('room.unban', { roomId, userId }, 'lifting the ban').then(() => {
      state.bans.get(roomId)?.delete(userId);
      store.changed();
    }, ignore);
  },

  async mute(userId, durationMs) {
    const roomId = state.currentRoomId;
    await call('room.mute', { roomId, userId, durationMs }, 'muting').then(({ until }) => {
      store.applyEvent({ type: 'room.member_muted', data: { roomId, userId, until } });
    }, ignore);
  },

  async unmute(userId) {
    const roomId = state.currentRoomId;
    await call('room.unmute', { roomId, userId }, 'unmuting').then(() => {
      store.applyEvent({ type: 'room.member_muted', data: { roomId, userId, until: null } });
    }, ignore);
  },

  async setRole(userId, role) {
    const roomId = state.currentRoomId;
    await call('room.set_role', { roomId, userId, role }, 'changing the role').then(() => {
      store.applyEvent({ type: 'room.member_updated', data: { roomId, userId, role } });
    }, ignore);
  },

  // ---- notifications

  async setNotify(level) {
    const roomId = state.currentRoomId;
    await call('notify.set', { roomId, level }, 'notification level').then(() => {
      const r = state.rooms.get(roomId);
      if (r) r.notify = level;
      store.changed();
    }, () => store.changed());
  },

  async enablePush() {
    try {
      await push.subscribe(localStorage.getItem(TOKEN_KEY));
      state.pushOn = true;
      toast('Notifications are on for this browser.');
    } catch (err) {
      toast(describeError(err, 'Turning on notifications'), 'error');
    }
    store.changed();
  },

  async disablePush() {
    await push.unsubscribe(localStorage.getItem(TOKEN_KEY)).catch(ignore);
    state.pushOn = false;
    toast('Notifications are off for this browser.');
    store.changed();
  },

  // ---- search

  async search(query) {
    if (!query.trim()) return;
    state.search = { query, hits: [], loading: true };
    state.panel = 'search';
    store.changed();
    try {
      const { hits } = await call('search', { query, limit: 30 }, 'searching');
      if (state.search?.query === query) state.search = { query, hits, loading: false };
    } catch {
      if (state.search?.query === query) state.search = { query, hits: [], loading: false };
    }
    store.changed();
  },

  closeSearch() {
    state.search = null;
    state.panel = 'members';
    store.changed();
  },

  /** Opens a room at one message: pages back until it is loaded, then scrolls to it. */
  async jumpTo(roomId, messageId, seq) {
    const room = state.rooms.get(roomId);
    if (!room) return toast('That room is not in your list.', 'error');
    await actions.openRoom(roomId);
    if (!messageId) return;
    const find = () => [...(state.timelines.get(roomId)?.msgs.values() ?? [])].find((x) => x.id === messageId);
    for (let pages = 0; pages < 20 && !find(); pages++) {
      const t = state.timelines.get(roomId);
      if (!t?.hasMore || (seq && seq >= (store.sorted(t.msgs)[0]?.seq ?? 0))) break;
      await actions.loadOlder();
    }
    const m = find();
    if (m) state.jump = { roomId, seq: m.seq };
    store.changed();
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
    trySend(p);
  },

  discardSend(clientMsgId) {
    state.outbox.delete(clientMsgId);
    store.changed();
  },

  typing() {
    const roomId = state.currentRoomId;
    const now = Date.now();
    if (!roomId || !ready() || state.editing) return;
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

// For debugging in the console, and for the end-to-end tests to cut the socket on purpose.
window.streamchat = {
  state,
  goOffline: () => HoldableWebSocket.hold(),
  goOnline: () => HoldableWebSocket.release(),
};

// A notification clicked while this tab is open but not controlled by the service worker.
navigator.serviceWorker?.addEventListener('message', (e) => {
  if (e.data?.type !== 'streamchat.open') return;
  const u = new URL(e.data.url, location.origin);
  if (u.origin === location.origin && u.searchParams.get('room')) actions.jumpTo(u.searchParams.get('room'), u.searchParams.get('message'));
});

boot();
