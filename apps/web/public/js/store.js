// Everything the client knows, and how server events change it. Views read `state` and are
// told to redraw through `onChange`; nothing here touches the DOM (toasts aside).
import { toast } from './toast.js';

export const state = {
  me: null, // {id, username} from `hello`
  connection: { state: 'connecting', detail: null },
  myPresence: 'online',
  /** roomId → Room + {unread, joined, readSeq}. `lastSeq` is the newest seq we know of. */
  rooms: new Map(),
  currentRoomId: null,
  /** roomId → {msgs: Map<seq, Message>, hasMore, loadingOlder}: the loaded stretch of a room. */
  timelines: new Map(),
  /** roomId → Map<userId, Member>, filled when a room is opened. */
  members: new Map(),
  presence: new Map(), // userId → status
  usernames: new Map(), // userId → username, for typing lines and reply previews
  typing: new Map(), // roomId → userIds
  /** clientMsgId → {clientMsgId, roomId, text, replyTo, attachments, state: 'sending'|'failed', note}: sends not committed yet */
  outbox: new Map(),
  /** The open thread: {roomId, root, msgs: Map<seq, Message>, hasMore} */
  thread: null,
  panel: 'members', // right-hand panel: 'members' | 'thread'
  replyTo: null, // the Message the composer replies to
  editing: null, // the Message the composer edits
  /** Files picked in the composer: {key, name, state: 'uploading'|'ready', attachment?}, in order. */
  uploads: [],
  /** attachment id → {url, expiresAt}: signed links, so <img> can load without a header. */
  attachmentLinks: new Map(),
  /** roomId → Map<userId, until ISO time>: mutes seen this session (members carry no mute state). */
  mutes: new Map(),
  /** roomId → Map<userId, username>: bans seen this session, for moderators to lift. */
  bans: new Map(),
  /** The "new messages" line: in room `roomId`, above the first message after `afterSeq`. */
  newLine: null,
  /** The search panel: {query, hits, loading}. */
  search: null,
  /** Where to scroll once shown: {roomId, seq}. */
  jump: null,
  /** Whether this browser has a Web Push subscription. */
  pushOn: false,
};

/** Server events the app listens to (the SDK hands `message.created` over as `message`). */
export const EVENT_TYPES = [
  'message.updated',
  'message.deleted',
  'reaction.updated',
  'read.updated',
  'typing.updated',
  'presence.updated',
  'room.member_joined',
  'room.member_left',
  'room.member_updated',
  'room.member_muted',
  'room.ban_updated',
  'dm.opened',
  'error',
];

let listeners = [];
let scheduled = false;
/** Redraws are coalesced: a burst of events costs one render. */
export function changed() {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    for (const fn of listeners) fn();
  }, 0);
}
export function onChange(fn) {
  listeners.push(fn);
}

/** Back to a blank slate (log out). */
export function reset() {
  state.me = null;
  state.rooms.clear();
  state.currentRoomId = null;
  state.timelines.clear();
  state.members.clear();
  state.presence.clear();
  state.usernames.clear();
  state.typing.clear();
  state.outbox.clear();
  state.thread = null;
  state.panel = 'members';
  state.replyTo = null;
  state.editing = null;
  state.uploads = [];
  state.attachmentLinks.clear();
  state.mutes.clear();
  state.bans.clear();
  state.newLine = null;
  state.search = null;
  state.jump = null;
  state.myPresence = 'online';
  changed();
}

// ---- rooms -------------------------------------------------------------------------------

export function unreadOf(room) {
  if (!room.joined || room.id === state.currentRoomId) return 0;
  return Math.max(0, room.lastSeq - room.readSeq);
}

/** Unread messages over every room, the open one included (for the tab title). */
export function totalUnread() {
  let n = 0;
  for (const room of state.rooms.values()) if (room.joined) n += Math.max(0, room.lastSeq - room.readSeq);
  return n;
}

/** My role in a room, from its member list. */
export function myRole(roomId) {
  return state.members.get(roomId)?.get(state.me?.id)?.role;
}

/** Until when a member is muted (ISO time), if a mute we saw is still running. */
export function mutedUntil(roomId, userId) {
  const until = state.mutes.get(roomId)?.get(userId);
  return until && Date.parse(until) > Date.now() ? until : null;
}

/** A DM's name is both usernames; show the other one. */
export function displayName(room) {
  if (room.kind !== 'dm') return room.name;
  const other = room.name.split(', ').filter((n) => n !== state.me?.username);
  return other[0] ?? room.name;
}

/**
 * Adds or refreshes a room, keeping the newest lastSeq/readSeq either side knows. A room we
 * have just joined starts with the server's marker at 0, so that is our readSeq too (opening
 * it then sends read.mark).
 */
export function upsertRoom(room, { joined = true, unread } = {}) {
  const old = state.rooms.get(room.id);
  const lastSeq = Math.max(room.lastSeq ?? 0, old?.lastSeq ?? 0);
  let readSeq = unread !== undefined ? (room.lastSeq ?? 0) - unread : old?.joined ? old.readSeq : 0;
  if (old?.joined) readSeq = Math.max(readSeq, old.readSeq);
  state.rooms.set(room.id, { ...old, ...room, lastSeq, readSeq: Math.max(0, readSeq), joined });
  changed();
}

/** The answer to `room.list`: it is the whole truth about which rooms are ours. */
export function setRoomList(listings) {
  const seen = new Set();
  for (const r of listings) {
    seen.add(r.id);
    upsertRoom(r, { joined: r.joined, unread: r.joined ? r.unread : undefined });
  }
  for (const id of [...state.rooms.keys()]) if (!seen.has(id)) forgetRoom(id);
  changed();
}

/** We are no longer in a room (left, kicked, banned, or gone). */
export function leftRoom(roomId) {
  const room = state.rooms.get(roomId);
  if (room?.kind === 'public') state.rooms.set(roomId, { ...room, joined: false, readSeq: 0 });
  else forgetRoom(roomId);
  state.timelines.delete(roomId);
  state.members.delete(roomId);
  state.typing.delete(roomId);
  if (state.currentRoomId === roomId) state.currentRoomId = null;
  if (state.thread?.roomId === roomId) closeThread();
  changed();
}

function forgetRoom(roomId) {
  state.rooms.delete(roomId);
  state.timelines.delete(roomId);
  if (state.currentRoomId === roomId) state.currentRoomId = null;
}

export function setMembers(roomId, members) {
  const map = new Map();
  for (const m of members) {
    map.set(m.id, m);
    state.presence.set(m.id, m.presence);
    state.usernames.set(m.id, m.username);
    // The status we chose survives reloads on the server; the member list is where we see it.
    if (m.id === state.me?.id && m.presence !== 'offline') state.myPresence = m.presence;
  }
  state.members.set(roomId, map);
  changed();
}

// ---- messages ----------------------------------------------------------------------------

export function timelineOf(roomId) {
  let t = state.timelines.get(roomId);
  if (!t) {
    t = { msgs: new Map(), hasMore: false, loadingOlder: false };
    state.timelines.set(roomId, t);
  }
  return t;
}

/** Messages of a timeline or thread, oldest first. */
export function sorted(msgs) {
  return [...msgs.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The newest page of a room (a `room.join` snapshot). It joins what we hold when the two
 * overlap or touch; across a gap we cannot fill, the snapshot replaces it.
 */
export function loadSnapshot(roomId, messages) {
  const t = timelineOf(roomId);
  const held = sorted(t.msgs);
  const newestHeld = held.at(-1)?.seq ?? 0;
  const firstNew = messages[0]?.seq;
  if (firstNew !== undefined && held.length && firstNew > newestHeld + 1) t.msgs.clear();
  for (const m of messages) putMessage(m, { replace: true });
  // Seqs are gapless from 1, so anything above the oldest we hold can still be paged in.
  t.hasMore = (sorted(t.msgs)[0]?.seq ?? 1) > 1;
  changed();
}

export function prependPage(roomId, messages, hasMore) {
  const t = timelineOf(roomId);
  for (const m of messages) putMessage(m, { replace: false });
  t.hasMore = hasMore;
  changed();
}

/**
 * Stores a message wherever it is shown. `replace: false` is for `message.created` (live or
 * replayed by `resume`): a seq we already have is a duplicate and is dropped.
 */
export function putMessage(m, { replace }) {
  state.usernames.set(m.author.id, m.author.username);
  const room = state.rooms.get(m.roomId);
  if (room) {
    room.lastSeq = Math.max(room.lastSeq, m.seq);
    // Sending moves our own read marker (docs/protocol.md "Read markers").
    if (m.author.id === state.me?.id) room.readSeq = Math.max(room.readSeq, m.seq);
  }
  if (m.clientMsgId && m.author.id === state.me?.id) state.outbox.delete(m.clientMsgId);
  const t = state.timelines.get(m.roomId);
  if (t && (replace || !t.msgs.has(m.seq))) t.msgs.set(m.seq, m);
  const th = state.thread;
  if (th && th.roomId === m.roomId && (m.replyTo === th.root.id || m.id === th.root.id)) {
    if (m.id === th.root.id) th.root = m;
    else if (replace || !th.msgs.has(m.seq)) th.msgs.set(m.seq, m);
  }
  changed();
}

/** Applies `fn` to every copy of a message we hold (timeline, thread list, thread root). */
function updateMessage(roomId, id, fn) {
  const lists = [state.timelines.get(roomId)?.msgs];
  if (state.thread?.roomId === roomId) {
    lists.push(state.thread.msgs);
    if (state.thread.root.id === id) state.thread.root = fn(state.thread.root);
  }
  for (const msgs of lists) {
    if (!msgs) continue;
    for (const [seq, m] of msgs) if (m.id === id) msgs.set(seq, fn(m));
  }
  changed();
}

export function findMessage(roomId, id) {
  const inTimeline = [...(state.timelines.get(roomId)?.msgs.values() ?? [])].find((m) => m.id === id);
  if (inTimeline) return inTimeline;
  if (state.thread?.roomId !== roomId) return undefined;
  if (state.thread.root.id === id) return state.thread.root;
  return [...state.thread.msgs.values()].find((m) => m.id === id);
}

export function markDeleted(roomId, id) {
  const at = new Date().toISOString();
  updateMessage(roomId, id, (m) => ({ ...m, text: '', deletedAt: m.deletedAt ?? at, reactions: [], attachments: [] }));
}

export function setReaction({ roomId, messageId, emoji, count, userIds }) {
  updateMessage(roomId, messageId, (m) => {
    const reactions = m.reactions.filter((r) => r.emoji !== emoji || count > 0);
    const i = reactions.findIndex((r) => r.emoji === emoji);
    if (count > 0) {
      if (i >= 0) reactions[i] = { emoji, count, userIds };
      else reactions.push({ emoji, count, userIds });
    }
    return { ...m, reactions };
  });
}

export function openThread(roomId, root) {
  state.thread = { roomId, root, msgs: new Map(), hasMore: false, loading: true };
  state.panel = 'thread';
  changed();
}

export function closeThread() {
  state.thread = null;
  if (state.panel === 'thread') state.panel = 'members'; // search results stay open across rooms
  changed();
}

// ---- events ------------------------------------------------------------------------------

/**
 * Applies one server event. Returns the room ids it found we do not know yet (e.g. a room
 * joined on another device), so the app can refresh the room list.
 */
export function applyEvent({ type, data }) {
  switch (type) {
    case 'message.created':
      putMessage(data, { replace: false });
      return state.rooms.has(data.roomId) ? null : data.roomId;
    case 'message.updated':
      updateMessage(data.roomId, data.id, () => data);
      return null;
    case 'message.deleted':
      markDeleted(data.roomId, data.id);
      return null;
    case 'reaction.updated':
      setReaction(data);
      return null;
    case 'read.updated': {
      const room = state.rooms.get(data.roomId);
      // The room hears everyone's markers; only ours moves our unread count.
      if (room && data.userId === state.me?.id) room.readSeq = Math.max(room.readSeq, data.seq);
      changed();
      return null;
    }
    case 'typing.updated':
      state.typing.set(data.roomId, data.userIds ?? []);
      changed();
      return null;
    case 'presence.updated':
      state.presence.set(data.userId, data.status);
      for (const members of state.members.values()) {
        const m = members.get(data.userId);
        if (m) members.set(data.userId, { ...m, presence: data.status });
      }
      if (data.userId === state.me?.id) state.myPresence = data.status;
      changed();
      return null;
    case 'room.member_joined':
      return memberJoined(data);
    case 'room.member_left':
      memberLeft(data);
      return null;
    case 'room.member_updated': {
      const m = state.members.get(data.roomId)?.get(data.userId);
      if (m) state.members.get(data.roomId).set(data.userId, { ...m, role: data.role });
      changed();
      return null;
    }
    case 'room.member_muted':
      if (!state.mutes.has(data.roomId)) state.mutes.set(data.roomId, new Map());
      if (data.until) state.mutes.get(data.roomId).set(data.userId, data.until);
      else state.mutes.get(data.roomId).delete(data.userId);
      changed();
      if (data.userId === state.me?.id) {
        const name = roomLabel(data.roomId);
        toast(data.until ? `You are muted in ${name} until ${new Date(data.until).toLocaleString()}.` : `You can speak in ${name} again.`);
      }
      return null;
    case 'room.ban_updated': {
      if (!state.bans.has(data.roomId)) state.bans.set(data.roomId, new Map());
      const bans = state.bans.get(data.roomId);
      if (data.banned) bans.set(data.userId, state.usernames.get(data.userId) ?? data.userId);
      else bans.delete(data.userId);
      changed();
      return null;
    }
    case 'dm.opened':
      upsertRoom(data.room, { joined: true });
      return null;
    case 'error':
      // A failure of an op sent without a ref; we always send refs, so this is rare.
      toast(`Server error: ${data?.code ?? ''} ${data?.message ?? ''}`.trim(), 'error');
      return null;
    default:
      return null; // newer servers may send more; ignore what we do not know
  }
}

function roomLabel(roomId) {
  const room = state.rooms.get(roomId);
  return room ? (room.kind === 'dm' ? displayName(room) : `#${room.name}`) : 'a room';
}

function memberJoined({ roomId, user, role, room, invitedBy }) {
  state.usernames.set(user.id, user.username);
  if (user.id === state.me?.id) {
    if (room) upsertRoom(room, { joined: true });
    if (invitedBy && invitedBy !== state.me.id) {
      const by = state.usernames.get(invitedBy);
      toast(by ? `${by} added you to ${roomLabel(roomId)}.` : `You were added to ${roomLabel(roomId)}.`);
    }
    return state.rooms.has(roomId) ? null : roomId;
  }
  const members = state.members.get(roomId);
  if (members && !members.has(user.id)) {
    members.set(user.id, { ...user, role, presence: state.presence.get(user.id) ?? (invitedBy ? 'offline' : 'online') });
  }
  const r = state.rooms.get(roomId);
  if (r && members) r.memberCount = members.size;
  changed();
  return null;
}

function memberLeft({ roomId, userId, reason }) {
  if (userId === state.me?.id) {
    if (reason === 'kicked' || reason === 'banned') toast(`You were ${reason} from ${roomLabel(roomId)}.`, 'error');
    leftRoom(roomId);
    return;
  }
  const members = state.members.get(roomId);
  members?.delete(userId);
  const r = state.rooms.get(roomId);
  if (r && members) r.memberCount = members.size;
  const typers = state.typing.get(roomId);
  if (typers) state.typing.set(roomId, typers.filter((id) => id !== userId));
  changed();
}
