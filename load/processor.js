'use strict';
/**
 * Artillery processor for streamchat.yml: guest login in the `connect` hook, then the chat ops of
 * docs/protocol.md over the socket the ws engine opened. Replies are matched by `ref` (deliveries
 * of other users' messages arrive in between, so the engine's own send/capture cannot pair them),
 * and every op's latency is a histogram of our own:
 *
 *   chat.login_ms      POST /api/auth/guest
 *   chat.join_ms       room.join → reply (the first op after connecting: includes the session start)
 *   chat.send_ack_ms   message.send → reply (acknowledged after COMMIT)
 *   chat.history_ms    message.history → reply
 *
 * Counters: chat.messages_sent / chat.messages_acked, chat.deliveries (message.created frames
 * received), chat.history_reads. A failed op throws, so the virtual user fails with the error
 * counted as `errors.chat.<CODE>` (RATE_LIMITED, TIMEOUT, CLOSED, …) or `errors.auth.<status>`.
 *
 * Settings (environment; `npm run load` sets them):
 *   LOAD_API_URL   the api, default http://127.0.0.1:3000 (what `npm start` serves)
 *   LOAD_WS_URLS   comma-separated gateway URLs to spread users over (default: the script's target)
 */
const { randomBytes } = require('node:crypto');
const { performance } = require('node:perf_hooks');

const API_URL = (process.env.LOAD_API_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const WS_URLS = (process.env.LOAD_WS_URLS || '').split(',').map((s) => s.trim()).filter(Boolean);
/** How long any one request (HTTP or op) may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = Number(process.env.LOAD_REQUEST_TIMEOUT_MS || 10_000);
/** Every user of a run shares this prefix (≤ 32 chars in all: ^[A-Za-z0-9_.-]{2,32}$). */
const RUN = randomBytes(4).toString('hex');
let users = 0;
let gatewayTurn = 0;

function fail(code, message) {
  const err = new Error(message || code);
  err.code = code;
  return err;
}

/** `connect: { function: connectAsGuest }` — a fresh guest per virtual user, its token in the URL. */
function connectAsGuest(wsArgs, context, done) {
  const username = `lt${RUN}_${(++users).toString(36)}${randomBytes(2).toString('hex')}`;
  const started = performance.now();
  fetch(`${API_URL}/api/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
    .then(async (res) => {
      const body = await res.json().catch(() => null);
      if (!res.ok || !body || typeof body.token !== 'string') throw fail(`auth.${res.status}`, `guest login ${res.status}`);
      // No event emitter here (the hook gets none): joinRoom reports it.
      context.vars.loginMs = performance.now() - started;
      const base = WS_URLS.length ? WS_URLS[gatewayTurn++ % WS_URLS.length] : wsArgs.target;
      wsArgs.target = `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(body.token)}`;
      wsArgs.options = { ...wsArgs.options, perMessageDeflate: false, handshakeTimeout: REQUEST_TIMEOUT_MS };
      context.vars.username = username;
      done();
    })
    .catch((err) => done(err.code ? err : fail(err.name === 'TimeoutError' ? 'auth.TIMEOUT' : 'auth.NETWORK', err.message)));
}

/**
 * The socket's side of the protocol, made once per virtual user on its first op: pending replies
 * by ref; deliveries counted without parsing them (only replies and error events are parsed).
 */
function chat(context, events) {
  if (context.chat) return context.chat;
  const ws = context.ws;
  const state = { pending: new Map(), refs: 0, deliveries: 0, started: Date.now() };
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"type":"message.created"')) {
      state.deliveries++;
      return;
    }
    if (!text.includes('"type":"reply"') && !text.includes('"type":"error"')) return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'reply') {
      const waiter = state.pending.get(frame.ref);
      if (waiter) waiter(frame);
    } else {
      events.emit('counter', `chat.error_events.${frame.data?.code ?? 'UNKNOWN'}`, 1);
    }
  });
  ws.on('close', (code) => {
    for (const waiter of state.pending.values()) waiter({ ok: false, error: { code: 'CLOSED', message: `socket closed ${code}` } });
  });
  context.chat = state;
  return state;
}

/** Sends one op with a ref; resolves with the reply's data and how long it took, or throws chat.<CODE>. */
function request(context, events, type, data) {
  const state = chat(context, events);
  const ref = String(++state.refs);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle({ ok: false, error: { code: 'TIMEOUT', message: `${type}: no reply in ${REQUEST_TIMEOUT_MS} ms` } }), REQUEST_TIMEOUT_MS);
    function settle(frame) {
      clearTimeout(timer);
      state.pending.delete(ref);
      if (frame.ok) resolve({ data: frame.data, ms: performance.now() - started });
      else reject(fail(`chat.${frame.error?.code ?? 'UNKNOWN'}`, `${type}: ${frame.error?.message ?? 'failed'}`));
    }
    state.pending.set(ref, settle);
    if (context.ws.readyState !== 1) return settle({ ok: false, error: { code: 'CLOSED', message: 'socket not open' } });
    context.ws.send(JSON.stringify({ type, ref, data }));
  });
}

function flushDeliveries(context, events) {
  const state = chat(context, events);
  if (state.deliveries) events.emit('counter', 'chat.deliveries', state.deliveries);
  state.deliveries = 0;
}

/** `before` hook: the public room every virtual user joins; its id becomes the `roomId` variable. */
async function createSharedRoom(context, events) {
  const { data } = await request(context, events, 'room.create', { name: `load ${new Date().toISOString()}`, kind: 'public' });
  context.vars.roomId = data.room.id;
  console.log(`shared room ${data.room.id}`);
}

async function joinRoom(context, events) {
  if (!context.vars.roomId) throw fail('chat.NO_ROOM', 'no roomId: the before hook did not run');
  if (context.vars.loginMs !== undefined) events.emit('histogram', 'chat.login_ms', context.vars.loginMs);
  const { ms } = await request(context, events, 'room.join', { roomId: context.vars.roomId });
  events.emit('histogram', 'chat.join_ms', ms);
}

const WORDS = 'the a chat room message stream redis gateway shard commit hello world load test quick brown fox jumps over lazy dog'.split(' ');

async function sendMessage(context, events) {
  const n = (context.vars.sent = (context.vars.sent || 0) + 1);
  const words = Array.from({ length: 8 + Math.floor(Math.random() * 16) }, () => WORDS[Math.floor(Math.random() * WORDS.length)]);
  events.emit('counter', 'chat.messages_sent', 1);
  const { ms } = await request(context, events, 'message.send', {
    roomId: context.vars.roomId,
    text: `${words.join(' ')} #${n}`,
    clientMsgId: `${context.vars.username}-${n}`,
  });
  events.emit('counter', 'chat.messages_acked', 1);
  events.emit('histogram', 'chat.send_ack_ms', ms);
  flushDeliveries(context, events);
}

async function readHistory(context, events) {
  const { ms } = await request(context, events, 'message.history', { roomId: context.vars.roomId, limit: 50 });
  events.emit('counter', 'chat.history_reads', 1);
  events.emit('histogram', 'chat.history_ms', ms);
  flushDeliveries(context, events);
}

/**
 * `whileTrue` of the soak loop: keep chatting for `soakSeconds`, and never more than `maxMessages`
 * rounds whatever the clock says.
 */
function stillSoaking(context, next) {
  const state = context.chat;
  const seconds = Number(context.vars.soakSeconds) || 60;
  const max = Number(context.vars.maxMessages) || 1000;
  next(Boolean(state) && Date.now() - state.started < seconds * 1000 && (context.vars.sent || 0) < max);
}

module.exports = { connectAsGuest, createSharedRoom, joinRoom, sendMessage, readHistory, stillSoaking };
