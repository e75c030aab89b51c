// Drawing the state into the static skeleton of index.html, and turning clicks and keys into
// calls on `actions` (app.js). Lists are patched by key so a new message does not rebuild the
// whole timeline (keeps scroll position, hover and focus).
import { displayName, findMessage, mutedUntil, myRole, sorted, state, totalUnread, unreadOf } from './store.js';
import { renderText } from './text.js';

export const QUICK_EMOJIS = ['👍', '❤️', '😂', '🎉', '👀'];
const GROUP_WINDOW_MS = 5 * 60_000;

const $ = (id) => document.getElementById(id);

/** Tiny element builder: attributes, `on*` listeners, and children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Puts `items` ({key, sig, make}) into `list` in order, rebuilding only what changed. */
function patchList(list, items) {
  const cache = list._cache ?? new Map();
  const next = new Map();
  const els = items.map((it) => {
    let entry = cache.get(it.key);
    if (!entry || entry.sig !== it.sig) entry = { sig: it.sig, el: it.make() };
    next.set(it.key, entry);
    return entry.el;
  });
  list._cache = next;
  els.forEach((el, i) => {
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
  });
  while (list.children.length > els.length) list.lastElementChild.remove();
}

let actions = null;
let renderedRoomId = null;
let stickToBottom = false;

/** The next render scrolls the timeline to the end (after we send). */
export function scrollToBottomNext() {
  stickToBottom = true;
}

// ---- screens -----------------------------------------------------------------------------

export function showLogin(error = '') {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = error;
  $('login-username').focus();
}

export function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
}

export function setLoginBusy(busy) {
  $('login-form').querySelector('button').disabled = busy;
}

// ---- wiring ------------------------------------------------------------------------------

export function bind(a) {
  actions = a;
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('login-username').value.trim();
    if (!/^[A-Za-z0-9_.-]{2,32}$/.test(name)) {
      $('login-error').textContent = 'Use 2–32 letters, digits, “_”, “.” or “-”.';
      return;
    }
    $('login-error').textContent = '';
    actions.login(name);
  });
  $('logout').onclick = () => actions.logout();
  $('presence-select').onchange = (e) => actions.setPresence(e.target.value);
  $('refresh-rooms').onclick = () => actions.refreshRooms();
  $('new-room-btn').onclick = () => openNewRoomDialog();
  $('new-dm-btn').onclick = () => openUserPicker('Direct message someone', (u) => actions.openDm(u.id));
  $('invite-btn').onclick = () => openUserPicker('Invite someone into this room', (u) => actions.invite(u.id));
  $('members-btn').onclick = () => {
    actions.showMembers();
    document.body.classList.add('panel-open');
  };
  $('panel-close').onclick = () => document.body.classList.remove('panel-open');
  $('menu-btn').onclick = () => toggleDrawer();
  $('drawer-scrim').onclick = () => {
    closeDrawer();
    document.body.classList.remove('panel-open');
  };
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('search-input').value.trim();
    if (q) {
      actions.search(q);
      document.body.classList.add('panel-open');
    }
  });
  $('search-close').onclick = () => {
    actions.closeSearch();
    document.body.classList.remove('panel-open');
  };
  $('push-btn').onclick = () => (state.pushOn ? actions.disablePush() : actions.enablePush());
  $('notify-select').onchange = (e) => actions.setNotify(e.target.value);
  bindDrop();
  bindMentions($('composer-input'));
  $('leave-btn').onclick = () => actions.leaveRoom();
  $('load-older').onclick = () => actions.loadOlder();
  $('thread-older').onclick = () => actions.loadOlderReplies();
  $('thread-close').onclick = () => actions.closeThread();
  $('composer-cancel').onclick = () => actions.cancelComposerMode();
  bindComposer($('composer'), $('composer-input'), (text) => actions.submitComposer(text), () => actions.typing(), () => actions.hasUploads());
  $('composer-file-input').onchange = (e) => {
    actions.attachFiles(e.target.files);
    e.target.value = ''; // the same file may be picked again
  };
  bindComposer($('thread-composer'), $('thread-input'), (text) => actions.sendThreadReply(text), () => actions.typing());
  $('composer-input').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') actions.cancelComposerMode();
  });
  $('composer-input').addEventListener('paste', (e) => {
    const files = e.clipboardData?.files;
    if (files?.length) {
      e.preventDefault();
      actions.dropFiles(files);
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeMenus();
  });
  document.addEventListener('click', (e) => {
    if (!e.target.closest?.('.mod-menu, .mod-btn')) closeMenus();
  });
}

// ---- phone: the sidebar is a drawer ----------------------------------------------------------

function toggleDrawer() {
  const open = !document.body.classList.contains('drawer-open');
  document.body.classList.toggle('drawer-open', open);
  $('menu-btn').setAttribute('aria-expanded', String(open));
  $('drawer-scrim').hidden = !open;
}

export function closeDrawer() {
  document.body.classList.remove('drawer-open');
  $('menu-btn').setAttribute('aria-expanded', 'false');
  $('drawer-scrim').hidden = true;
}

// ---- files: drag and drop ------------------------------------------------------------------

function bindDrop() {
  const zone = $('room-view');
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  zone.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    $('drop-hint').hidden = false;
  });
  zone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) $('drop-hint').hidden = true;
  });
  zone.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    $('drop-hint').hidden = true;
    actions.dropFiles(e.dataTransfer.files);
  });
}

// ---- @mention completion -------------------------------------------------------------------

const MENTION_BEFORE_CARET = /(?:^|[^A-Za-z0-9._@-])@([A-Za-z0-9_.-]{0,32})$/;
let mention = null; // {start, options: [username], active}

/** While a word starting with @ is typed, the room's members whose names start with it. */
function bindMentions(input) {
  const list = $('mention-list');
  const close = () => {
    mention = null;
    list.hidden = true;
    list.replaceChildren();
  };
  const pick = (name) => {
    if (!mention) return;
    const caret = input.selectionStart;
    input.value = `${input.value.slice(0, mention.start)}@${name} ${input.value.slice(caret)}`;
    const at = mention.start + name.length + 2;
    input.setSelectionRange(at, at);
    close();
    input.focus();
  };
  const show = () => {
    list.replaceChildren(
      ...mention.options.map((name, i) =>
        h(
          'li',
          {
            role: 'option',
            class: i === mention.active ? 'active' : '',
            'aria-selected': i === mention.active ? 'true' : 'false',
            onmousedown: (e) => {
              e.preventDefault();
              pick(name);
            },
          },
          `@${name}`,
        ),
      ),
    );
    list.hidden = false;
  };
  input.addEventListener('input', () => {
    const before = input.value.slice(0, input.selectionStart);
    const m = MENTION_BEFORE_CARET.exec(before);
    const room = state.rooms.get(state.currentRoomId);
    if (!m || !room) return close();
    const prefix = m[1].toLowerCase();
    const names = [...(state.members.get(room.id)?.values() ?? [])]
      .map((x) => x.username)
      .filter((n) => n !== state.me?.username && n.toLowerCase().startsWith(prefix))
      .sort((a, b) => a.localeCompare(b));
    if (room.kind !== 'dm' && 'room'.startsWith(prefix) && ['owner', 'moderator'].includes(myRole(room.id))) names.push('room');
    if (!names.length) return close();
    mention = { start: before.length - m[1].length - 1, options: names.slice(0, 8), active: 0 };
    show();
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
  // Registered before the composer's own keydown (bindComposer), so Enter/Tab pick a name here.
  input.addEventListener('keydown', (e) => {
    if (!mention) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = mention.options.length;
      mention.active = (mention.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      show();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      e.stopImmediatePropagation();
      pick(mention.options[mention.active]);
    } else if (e.key === 'Escape') {
      e.stopImmediatePropagation();
      close();
    }
  });
}

// ---- finding people by name ----------------------------------------------------------------

/** A dialog to pick a person: names seen in this browser as you type, and the exact name looked up. */
function openUserPicker(title, then) {
  const dialog = $('user-pick-dialog');
  const input = $('user-pick-input');
  const results = $('user-pick-results');
  $('user-pick-form').reset();
  $('user-pick-title').textContent = title;
  results.replaceChildren();
  let seq = 0;
  const choose = (u) => {
    dialog.close('cancel');
    then(u);
  };
  const row = (u) =>
    h('li', { role: 'option' }, h('button', { type: 'button', class: 'user-pick', 'aria-label': `pick ${u.username}`, onclick: () => choose(u) }, `@${u.username}`));
  const update = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    const lower = q.toLowerCase();
    const known = q ? actions.knownUsers().filter((u) => u.username.toLowerCase().startsWith(lower)).slice(0, 8) : [];
    results.replaceChildren(...known.map(row));
    if (!/^[A-Za-z0-9_.-]{2,32}$/.test(q) || known.some((u) => u.username.toLowerCase() === lower)) return;
    const found = await actions.lookupUser(q);
    if (mine !== seq) return; // typed on since
    if (found && found.id !== state.me?.id) results.append(row(found));
    else if (!known.length) results.append(h('li', { class: 'muted small' }, found ? 'That is you.' : `Nobody is called “${q}”.`));
  };
  let timer = null;
  input.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  };
  input.onkeydown = (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      results.querySelector('button')?.click();
    }
  };
  dialog.showModal();
  input.focus();
}

/** Enter sends, Shift+Enter is a new line; the box grows with its text. Empty text only with `sendsEmpty()`. */
function bindComposer(form, input, submit, onTyping, sendsEmpty = () => false) {
  const send = () => {
    const text = input.value;
    if (!text.trim() && !sendsEmpty()) return;
    if (submit(text) !== false) {
      input.value = '';
      grow(input);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener('input', () => {
    grow(input);
    if (input.value.trim()) onTyping();
  });
}

function grow(input) {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

/** Fills the composer for editing or replying (the text stays the person's to change). */
export function setComposerText(text) {
  const input = $('composer-input');
  input.value = text;
  grow(input);
  input.focus();
}

export function focusComposer() {
  $('composer-input').focus();
}

function openNewRoomDialog() {
  const dialog = $('new-room-dialog');
  $('new-room-form').reset();
  dialog.onclose = () => {
    if (dialog.returnValue !== 'ok') return;
    const name = $('new-room-name').value.trim();
    if (!name) return;
    actions.createRoom({
      name,
      topic: $('new-room-topic').value.trim() || undefined,
      kind: $('new-room-private').checked ? 'private' : 'public',
    });
  };
  dialog.showModal();
}

// ---- render ------------------------------------------------------------------------------

export function render() {
  if (!state.me && $('app').hidden) return;
  renderTopbar();
  renderSidebar();
  renderRoom();
  renderPanel();
}

const STATUS_TEXT = {
  connecting: 'connecting…',
  reconnecting: 'reconnecting…',
  online: 'connected',
  offline: 'offline',
  failed: 'cannot connect',
};

function renderTopbar() {
  const { state: s, detail } = state.connection;
  const el = $('conn-status');
  el.dataset.state = s;
  el.textContent =
    s === 'waiting' ? `connection lost — retrying in ${Math.ceil((detail?.inMs ?? 0) / 1000)} s` : detail?.message ?? STATUS_TEXT[s] ?? s;
  $('me-name').textContent = state.me?.username ?? '';
  const push = $('push-btn');
  push.textContent = state.pushOn ? '🔔 Notifications on' : '🔕 Notify me';
  push.setAttribute('aria-pressed', String(!!state.pushOn));
  // The tab's title counts what is unread, so a background tab shows it.
  const unread = totalUnread();
  const room = state.rooms.get(state.currentRoomId);
  const where = room ? (room.kind === 'dm' ? displayName(room) : `#${room.name}`) : '';
  document.title = `${unread ? `(${unread}) ` : ''}${where ? `${where} · ` : ''}streamchat`;
  if ($('presence-select').value !== state.myPresence && state.myPresence !== 'offline') {
    $('presence-select').value = state.myPresence;
  }
}

function renderSidebar() {
  const rooms = [...state.rooms.values()].sort((a, b) => displayName(a).localeCompare(displayName(b)));
  const item = (room) => {
    const unread = unreadOf(room);
    const active = room.id === state.currentRoomId;
    const icon = room.kind === 'private' ? '🔒' : room.kind === 'dm' ? '@' : '#';
    return {
      key: room.id,
      sig: JSON.stringify([displayName(room), unread, active, room.kind]),
      make: () =>
        h(
          'li',
          { 'data-room-id': room.id, class: active ? 'active' : '' },
          h(
            'button',
            { type: 'button', class: `room-link${unread ? ' has-unread' : ''}`, 'aria-current': active ? 'page' : null, onclick: () => actions.openRoom(room.id) },
            h('span', { class: 'room-icon' }, icon),
            h('span', { class: 'room-name' }, displayName(room)),
            unread ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, String(unread)) : null,
          ),
        ),
    };
  };
  patchList($('my-rooms'), rooms.filter((r) => r.joined && r.kind !== 'dm').map(item));
  patchList($('dm-rooms'), rooms.filter((r) => r.joined && r.kind === 'dm').map(item));
  patchList(
    $('public-rooms'),
    rooms
      .filter((r) => !r.joined && r.kind === 'public')
      .map((room) => ({
        key: room.id,
        sig: JSON.stringify([room.name, room.memberCount]),
        make: () =>
          h(
            'li',
            { 'data-room-id': room.id, class: 'joinable' },
            h('span', { class: 'room-icon' }, '#'),
            h('span', { class: 'room-name', title: room.topic || room.name }, room.name),
            h('span', { class: 'muted small' }, `${room.memberCount}`),
            h('button', { type: 'button', class: 'small', 'aria-label': `join ${room.name}`, onclick: () => actions.openRoom(room.id) }, 'Join'),
          ),
      })),
  );
  for (const [list, empty] of [
    ['my-rooms', 'No rooms yet.'],
    ['dm-rooms', 'No direct messages.'],
    ['public-rooms', 'Nothing new to join.'],
  ]) {
    $(list).dataset.empty = empty;
  }
}

function renderRoom() {
  const room = state.rooms.get(state.currentRoomId);
  $('room-empty').hidden = !!room;
  $('room-view').hidden = !room;
  if (!room) {
    renderedRoomId = null;
    return;
  }
  const title = room.kind === 'dm' ? `@ ${displayName(room)}` : `${room.kind === 'private' ? '🔒' : '#'} ${room.name}`;
  $('room-title').textContent = title;
  $('room-topic').textContent = [room.topic, room.kind === 'dm' ? '' : `${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`]
    .filter(Boolean)
    .join(' · ');
  $('invite-btn').hidden = room.kind !== 'private';
  $('leave-btn').hidden = room.kind === 'dm';
  const notify = $('notify-select');
  notify.hidden = !room.joined;
  if (room.notify && notify.value !== room.notify && document.activeElement !== notify) notify.value = room.notify;
  const mutedMe = mutedUntil(room.id, state.me?.id);
  $('composer-input').placeholder = mutedMe
    ? `You are muted here until ${new Date(mutedMe).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
    : `Message ${room.kind === 'dm' ? displayName(room) : `#${room.name}`}`;

  const t = state.timelines.get(room.id);
  $('load-older').hidden = !t?.hasMore;
  $('load-older').disabled = !!t?.loadingOlder;
  $('load-older').textContent = t?.loadingOlder ? 'Loading…' : 'Load older messages';

  const box = $('messages');
  const list = $('message-list');
  const roomChanged = renderedRoomId !== room.id;
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const oldHeight = box.scrollHeight;
  const oldTop = box.scrollTop;
  const oldFirst = list.firstElementChild;

  const msgs = t ? sorted(t.msgs) : [];
  const replies = new Map();
  for (const m of msgs) if (m.replyTo && !m.deletedAt) replies.set(m.replyTo, (replies.get(m.replyTo) ?? 0) + 1);
  const items = [];
  const newLine = state.newLine?.roomId === room.id ? state.newLine.afterSeq : null;
  let lineShown = false;
  msgs.forEach((m, i) => {
    const prev = msgs[i - 1];
    const day = dayOf(m.createdAt);
    if (!prev || dayOf(prev.createdAt) !== day) items.push(dateItem(day, m.createdAt));
    const lineHere = newLine !== null && !lineShown && m.seq > newLine && m.author.id !== state.me?.id;
    if (lineHere) {
      lineShown = true;
      items.push({ key: 'new-line', sig: 'new', make: () => h('li', { class: 'new-line', role: 'separator', 'aria-label': 'new messages' }, h('span', {}, 'New messages')) });
    }
    items.push(messageItem(m, { prev: lineHere || (prev && dayOf(prev.createdAt) !== day) ? undefined : prev, replyCount: replies.get(m.id) ?? 0 }));
  });
  const lastAuthor = msgs.at(-1)?.author.id;
  for (const p of state.outbox.values()) {
    if (p.roomId === room.id) items.push(pendingItem(p, items.length > 0 && (items.at(-1).pending || lastAuthor === state.me?.id)));
  }
  if (roomChanged) list._cache = new Map();
  patchList(list, items);

  const jump = state.jump?.roomId === room.id ? list.querySelector(`li.msg[data-seq="${state.jump.seq}"]`) : null;
  const line = roomChanged ? list.querySelector('li.new-line') : null;
  if (jump) {
    state.jump = null;
    jump.scrollIntoView({ block: 'center' });
    jump.classList.add('flash');
    setTimeout(() => jump.classList.remove('flash'), 2500);
  } else if (line && !stickToBottom) {
    line.scrollIntoView({ block: 'start' });
  } else if (roomChanged || stickToBottom || (nearBottom && list.firstElementChild === oldFirst)) {
    box.scrollTop = box.scrollHeight;
  } else if (oldFirst && list.firstElementChild !== oldFirst) {
    // Older messages went in above: keep what the reader was looking at in place.
    box.scrollTop = oldTop + (box.scrollHeight - oldHeight);
  }
  stickToBottom = false;
  renderedRoomId = room.id;

  renderComposerContext();
  renderUploads();
  renderTyping(room.id);
}

function renderUploads() {
  const list = $('composer-files');
  list.hidden = state.uploads.length === 0;
  patchList(
    list,
    state.uploads.map((u) => ({
      key: `u${u.key}`,
      sig: `${u.state}${Math.round((u.progress ?? 0) * 100)}`,
      make: () =>
        h(
          'li',
          { class: `upload ${u.state}` },
          h('span', {}, `📎 ${u.name}`),
          u.state === 'uploading'
            ? h('progress', { max: '100', value: String(Math.round((u.progress ?? 0) * 100)), 'aria-label': `uploading ${u.name}` })
            : null,
          h('button', { type: 'button', class: 'icon', 'aria-label': `remove ${u.name}`, onclick: () => actions.removeUpload(u.key) }, '×'),
        ),
    })),
  );
}

function renderComposerContext() {
  const ctx = $('composer-context');
  if (state.editing) {
    ctx.hidden = false;
    $('composer-context-text').textContent = 'Editing your message (Esc to cancel)';
  } else if (state.replyTo) {
    ctx.hidden = false;
    $('composer-context-text').textContent = `↪ Replying to ${state.replyTo.author.username}: ${snippet(state.replyTo)}`;
  } else {
    ctx.hidden = true;
  }
}

function renderTyping(roomId) {
  const names = (state.typing.get(roomId) ?? [])
    .filter((id) => id !== state.me?.id)
    .map((id) => state.usernames.get(id) ?? 'someone');
  const el = $('typing');
  el.textContent =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length <= 3
          ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`
          : 'Several people are typing…';
}

const MUTES = [
  ['10 minutes', 10 * 60_000],
  ['1 hour', 60 * 60_000],
  ['1 day', 24 * 60 * 60_000],
];
const RANK = { owner: 0, moderator: 1, member: 2 };

function closeMenus() {
  for (const m of document.querySelectorAll('.mod-menu')) m.remove();
}

/** The moderation menu of one member: what my role may do to theirs. */
function openModMenu(anchor, m, roomId) {
  closeMenus();
  const mine = myRole(roomId);
  const muted = mutedUntil(roomId, m.id);
  const item = (label, fn) =>
    h('button', {
      type: 'button',
      role: 'menuitem',
      onclick: () => {
        closeMenus();
        fn();
      },
    }, label);
  const menu = h(
    'div',
    { class: 'mod-menu', role: 'menu', 'aria-label': `moderate ${m.username}` },
    item('Kick', () => confirm(`Remove ${m.username} from the room?`) && actions.kick(m.id)),
    item('Ban', () => confirm(`Ban ${m.username}? They cannot come back until unbanned.`) && actions.ban(m.id)),
    muted ? item('Unmute', () => actions.unmute(m.id)) : MUTES.map(([label, ms]) => item(`Mute ${label}`, () => actions.mute(m.id, ms))),
    mine === 'owner' && m.role === 'member' ? item('Make moderator', () => actions.setRole(m.id, 'moderator')) : null,
    mine === 'owner' && m.role === 'moderator' ? item('Remove moderator', () => actions.setRole(m.id, 'member')) : null,
  );
  anchor.closest('li').append(menu);
  menu.querySelector('button')?.focus();
}

function renderPanel() {
  const room = state.rooms.get(state.currentRoomId);
  const showThread = state.panel === 'thread' && state.thread && state.thread.roomId === room?.id;
  const showSearch = state.panel === 'search' && !!state.search;
  $('thread-panel').hidden = !showThread;
  $('search-panel').hidden = !showSearch;
  $('members-panel').hidden = showThread || showSearch;
  if (showThread) return renderThread();
  if (showSearch) return renderSearch();

  const members = room ? [...(state.members.get(room.id)?.values() ?? [])] : [];
  const online = (m) => (m.presence === 'offline' ? 1 : 0);
  members.sort((a, b) => online(a) - online(b) || RANK[a.role] - RANK[b.role] || a.username.localeCompare(b.username));
  const mine = room && room.kind !== 'dm' ? myRole(room.id) : undefined;
  const canModerate = (m) => (mine === 'owner' || mine === 'moderator') && RANK[mine] < RANK[m.role];
  patchList(
    $('member-list'),
    members.map((m) => {
      const muted = room ? mutedUntil(room.id, m.id) : null;
      return {
        key: m.id,
        sig: JSON.stringify([m.username, m.role, m.presence, muted, canModerate(m)]),
        make: () => {
          const me = m.id === state.me?.id;
          return h(
            'li',
            { 'data-user-id': m.id, class: muted ? 'muted-member' : '' },
            h('span', { class: `dot ${m.presence}`, title: m.presence, 'aria-label': m.presence }),
            h('span', { class: 'member-name' }, m.username, me ? h('span', { class: 'muted' }, ' (you)') : null),
            muted ? h('span', { class: 'role muted-tag', title: `muted until ${new Date(muted).toLocaleString()}` }, '🔇 muted') : null,
            m.role !== 'member' ? h('span', { class: 'role' }, m.role) : null,
            me ? null : h('button', { type: 'button', class: 'small link', 'aria-label': `DM ${m.username}`, onclick: () => actions.openDm(m.id) }, 'DM'),
            canModerate(m)
              ? h('button', { type: 'button', class: 'small mod-btn', 'aria-label': `moderate ${m.username}`, 'aria-haspopup': 'menu', onclick: (e) => openModMenu(e.currentTarget, m, room.id) }, '⋯')
              : null,
          );
        },
      };
    }),
  );
  const banned = room && mine && mine !== 'member' ? [...(state.bans.get(room.id) ?? new Map())] : [];
  $('banned-title').hidden = $('banned-list').hidden = banned.length === 0;
  patchList(
    $('banned-list'),
    banned.map(([id, username]) => ({
      key: id,
      sig: username,
      make: () =>
        h(
          'li',
          { class: 'banned', 'data-user-id': id },
          h('span', { class: 'member-name' }, '🚫 ', username),
          h('button', { type: 'button', class: 'small', 'aria-label': `unban ${username}`, onclick: () => actions.unban(id) }, 'Unban'),
        ),
    })),
  );
}

/** A search highlight (plain text, matches between « and ») as text nodes and <mark>s. */
function highlightNodes(highlight) {
  return highlight.split(/(«[^«»]*»)/).filter(Boolean).map((part) =>
    part.startsWith('«') && part.endsWith('»') ? h('mark', {}, part.slice(1, -1)) : part,
  );
}

function renderSearch() {
  const s = state.search;
  $('search-title').textContent = s.loading ? 'Searching…' : `${s.hits.length} result${s.hits.length === 1 ? '' : 's'} for “${s.query}”`;
  patchList(
    $('search-results'),
    s.hits.map((hit) => {
      const m = hit.message;
      const room = state.rooms.get(m.roomId);
      return {
        key: m.id,
        sig: JSON.stringify([hit.highlight, room?.name]),
        make: () =>
          h(
            'li',
            { class: 'search-hit' },
            h(
              'button',
              { type: 'button', class: 'search-jump', onclick: () => {
                document.body.classList.remove('panel-open');
                actions.jumpTo(m.roomId, m.id, m.seq);
              } },
              h('span', { class: 'hit-meta small muted' }, `${room ? (room.kind === 'dm' ? `@${displayName(room)}` : `#${room.name}`) : 'a room'} · ${m.author.username} · ${new Date(m.createdAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}`),
              h('span', { class: 'hit-text' }, highlightNodes(hit.highlight)),
            ),
          ),
      };
    }),
  );
  $('search-results').dataset.empty = s.loading ? '' : 'Nothing found.';
}

function renderThread() {
  const th = state.thread;
  patchList($('thread-root'), th.root ? [messageItem(th.root, { inThread: true })] : []);
  $('thread-older').hidden = !th.hasMore;
  const msgs = sorted(th.msgs);
  const items = msgs.map((m, i) => messageItem(m, { prev: msgs[i - 1], inThread: true }));
  for (const p of state.outbox.values()) if (p.roomId === th.roomId && p.replyTo === th.root.id) items.push(pendingItem(p, false));
  patchList($('thread-list'), items);
  $('thread-list').dataset.empty = th.loading ? 'Loading…' : 'No replies yet.';
}

// ---- messages ----------------------------------------------------------------------------

/** The local calendar day of a time, as a key. */
function dayOf(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

function dateLabel(iso) {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86_400_000);
  if (dayOf(iso) === dayOf(today.toISOString())) return 'Today';
  if (dayOf(iso) === dayOf(yesterday.toISOString())) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', month: 'long', day: 'numeric', ...(d.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) });
}

function dateItem(day, iso) {
  const label = dateLabel(iso);
  return { key: `d${day}`, sig: label, make: () => h('li', { class: 'date-sep', role: 'separator' }, h('span', {}, label)) };
}

/** What renderText needs to highlight a message's mentions. */
function mentionContext(m) {
  const mentioned = new Set();
  for (const id of m.mentions ?? []) {
    const name = state.usernames.get(id) ?? state.members.get(m.roomId)?.get(id)?.username;
    if (name) mentioned.add(name.toLowerCase());
  }
  return { mentioned, mentionsRoom: !!m.mentionsRoom, me: state.me?.username.toLowerCase() };
}

function snippet(m, max = 80) {
  if (!m) return '';
  if (m.deletedAt) return 'message deleted';
  return m.text.length > max ? `${m.text.slice(0, max)}…` : m.text;
}

function messageItem(m, { prev, replyCount = 0, inThread = false }) {
  const mine = m.author.id === state.me?.id;
  const parent = m.replyTo ? findMessage(m.roomId, m.replyTo) : undefined;
  const compact =
    !!prev && !m.replyTo && prev.author.id === m.author.id && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < GROUP_WINDOW_MS;
  const preview = m.replyTo && !inThread ? (parent ? `${parent.author.username}: ${snippet(parent, 60)}` : 'an earlier message') : '';
  const reactions = m.reactions.map((r) => [r.emoji, r.count, r.userIds.includes(state.me?.id)]);
  // Images show through signed links; once one is there the element keeps it (no reload when it is renewed).
  const links = m.attachments.map((a) => (isImage(a) ? actions.attachmentLink(a.id) : undefined));
  const files = m.attachments.map((a, i) => [a.id, !!links[i]]);
  return {
    key: `m${m.seq}`,
    sig: JSON.stringify([m.id, m.text, m.editedAt, m.deletedAt, reactions, files, compact, preview, replyCount, mine, inThread, m.mentions]),
    make: () => messageEl(m, { mine, compact, preview, replyCount, inThread, links }),
  };
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const isImage = (a) => IMAGE_TYPES.has(a.type) && a.width && a.height;
const THUMB = { width: 320, height: 240 };

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** An image as a thumbnail (its box sized up front, so the timeline does not jump), anything else as a file chip. */
function attachmentEl(a, link) {
  if (!isImage(a)) {
    return h('button', { type: 'button', class: 'attachment file', onclick: () => actions.openAttachment(a) }, `📎 ${a.name} (${formatSize(a.size)})`);
  }
  const scale = Math.min(1, THUMB.width / a.width, THUMB.height / a.height);
  const size = { width: Math.max(1, Math.round(a.width * scale)), height: Math.max(1, Math.round(a.height * scale)) };
  return h(
    'button',
    { type: 'button', class: 'attachment image', title: a.name, onclick: () => actions.openAttachment(a) },
    link ? h('img', { src: link, alt: a.name, ...size }) : h('span', { class: 'attachment-placeholder' }, a.name),
  );
}

function messageEl(m, { mine, compact, preview, replyCount, inThread, links }) {
  const time = new Date(m.createdAt);
  const deleted = !!m.deletedAt;
  const mentionsMe = !deleted && (m.mentions?.includes(state.me?.id) || (m.mentionsRoom && !mine));
  return h(
    'li',
    { class: `msg${compact ? ' compact' : ''}${mine ? ' mine' : ''}${deleted ? ' deleted' : ''}${mentionsMe ? ' mentions-me' : ''}`, 'data-seq': m.seq, 'data-id': m.id },
    compact
      ? null
      : h(
          'div',
          { class: 'msg-meta' },
          h('span', { class: 'author' }, m.author.username),
          h('time', { datetime: m.createdAt, title: time.toLocaleString() }, time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
        ),
    preview
      ? h('button', { type: 'button', class: 'reply-to link', onclick: () => actions.openThreadOf(m.roomId, m.replyTo) }, `↪ reply to ${preview}`)
      : null,
    h(
      'div',
      { class: 'msg-text' },
      deleted ? h('em', {}, 'message deleted') : renderText(m.text, mentionContext(m)),
      m.editedAt && !deleted ? h('span', { class: 'muted small' }, ' (edited)') : null,
    ),
    m.attachments.length ? h('div', { class: 'attachments' }, m.attachments.map((a, i) => attachmentEl(a, links[i]))) : null,
    m.reactions.length
      ? h(
          'div',
          { class: 'reactions' },
          m.reactions.map((r) => {
            const minePick = r.userIds.includes(state.me?.id);
            const who = r.userIds.map((id) => state.usernames.get(id) ?? 'someone').join(', ');
            return h(
              'button',
              {
                type: 'button',
                class: `reaction${minePick ? ' mine' : ''}`,
                title: who,
                'aria-label': `${r.emoji} ${r.count}`,
                'aria-pressed': minePick ? 'true' : 'false',
                onclick: () => actions.toggleReaction(m, r.emoji),
              },
              `${r.emoji} ${r.count}`,
            );
          }),
        )
      : null,
    replyCount && !inThread
      ? h('button', { type: 'button', class: 'thread-link link', onclick: () => actions.openThread(m) }, `💬 ${replyCount} repl${replyCount === 1 ? 'y' : 'ies'}`)
      : null,
    deleted
      ? null
      : h(
          'div',
          { class: 'msg-actions', role: 'toolbar', 'aria-label': 'message actions' },
          QUICK_EMOJIS.map((e) =>
            h('button', { type: 'button', class: 'icon', 'aria-label': `react ${e}`, title: `react ${e}`, onclick: () => actions.toggleReaction(m, e) }, e),
          ),
          inThread ? null : h('button', { type: 'button', onclick: () => actions.startReply(m) }, 'Reply'),
          inThread ? null : h('button', { type: 'button', onclick: () => actions.openThread(m) }, 'Thread'),
          mine ? h('button', { type: 'button', onclick: () => actions.startEdit(m) }, 'Edit') : null,
          mine ? h('button', { type: 'button', onclick: () => actions.deleteMessage(m) }, 'Delete') : null,
        ),
  );
}

/** A message of ours not yet acknowledged; `compact` when it follows one of ours. */
function pendingItem(p, compact) {
  // The SDK holds a send while disconnected and retries it after RATE_LIMITED / UNAVAILABLE.
  const waiting = p.state === 'sending' && state.connection.state !== 'online';
  return {
    key: `p${p.clientMsgId}`,
    pending: true,
    sig: JSON.stringify([p.text, p.state, p.note, waiting, compact]),
    make: () =>
      h(
        'li',
        { class: `msg mine pending ${p.state}${compact ? ' compact' : ''}`, 'data-client-msg-id': p.clientMsgId },
        compact ? null : h('div', { class: 'msg-meta' }, h('span', { class: 'author' }, state.me?.username ?? 'you')),
        h('div', { class: 'msg-text' }, p.text),
        h(
          'div',
          { class: 'pending-state small' },
          p.state === 'failed' ? `Not sent${p.note ? `: ${p.note}` : ''}. ` : waiting ? 'waiting for the connection… ' : 'sending… ',
          p.state === 'failed' ? h('button', { type: 'button', class: 'link', onclick: () => actions.retrySend(p.clientMsgId) }, 'Retry') : null,
          p.state === 'failed' ? h('button', { type: 'button', class: 'link', onclick: () => actions.discardSend(p.clientMsgId) }, 'Discard') : null,
        ),
      ),
  };
}
