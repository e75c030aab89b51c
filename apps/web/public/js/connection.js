// One WebSocket to a gateway: refs and replies, timeouts, heartbeat, reconnect with backoff.
// It knows the wire protocol's framing (docs/protocol.md "Frames", "Connecting") and nothing
// about chat: events go to `handlers.event`, and the app decides what a (re)connect means.

/** A failed op: the server's error code, or one of ours (TIMEOUT, DISCONNECTED, STOPPED). */
export class RequestError extends Error {
  constructor(code, message, retryAfterMs) {
    super(message);
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
// Close codes a browser may send itself (1000 or 3000–4999).
const CLOSE_HEARTBEAT = 3000;
const CLOSE_OFFLINE = 3001;

export class Connection {
  /**
   * @param {string} url   the gateway URL from /api/config
   * @param {string} token the JWT from guest login
   * @param {{hello(data: object, reconnected: boolean): void, event(frame: object): void,
   *          status(state: string, detail?: object): void, authFailed(): void}} handlers
   */
  constructor(url, token, handlers) {
    this.url = url;
    this.token = token;
    this.handlers = handlers;
    this.ws = null;
    this.ready = false; // true between `hello` and close: frames may go out
    this.stopped = false;
    this.held = false; // goOffline(): stay disconnected until goOnline()
    this.attempt = 0;
    this.connects = 0;
    this.refs = 0;
    this.pending = new Map(); // ref → {frame, resolve, reject, timer, sent}
    this.retryTimer = null;
    this.heartbeat = null;
    // A laptop waking up or a network coming back should not wait out the backoff.
    this.onOnline = () => this.retryNow();
    window.addEventListener('online', this.onOnline);
  }

  start() {
    this.open();
  }

  /** Sends an op and resolves with its reply's `data`; rejects with a RequestError. */
  request(type, data, timeoutMs = REQUEST_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new RequestError('STOPPED', 'logged out'));
      const ref = `r${++this.refs}`;
      const entry = { frame: JSON.stringify({ type, ref, data }), resolve, reject, sent: false };
      entry.timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new RequestError('TIMEOUT', `no answer to ${type} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(ref, entry);
      // Before `hello` the op waits here rather than in the server's small pre-hello queue,
      // and while disconnected it waits for the next connection (its timer still runs).
      if (this.ready) this.transmit(entry);
    });
  }

  /** Logging out: close for good and fail whatever is still waiting. */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    this.failAll(new RequestError('STOPPED', 'logged out'), () => true);
    this.ws?.close(1000, 'logout');
  }

  /** Debug/test hook: drop the socket and stay offline until goOnline(). */
  goOffline() {
    this.held = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(CLOSE_OFFLINE, 'offline (debug)');
  }

  goOnline() {
    this.held = false;
    this.retryNow();
  }

  retryNow() {
    if (this.stopped || this.held || this.ws) return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  open() {
    this.handlers.status(this.connects ? 'reconnecting' : 'connecting');
    const sep = this.url.includes('?') ? '&' : '?';
    let ws;
    try {
      ws = new WebSocket(`${this.url}${sep}token=${encodeURIComponent(this.token)}`);
    } catch (err) {
      // A malformed wsUrl will not heal by retrying: say so and stay put.
      this.handlers.status('failed', { message: `cannot connect to ${this.url}: ${err.message}` });
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return; // the server only sends JSON; ignore anything else rather than crash
      }
      this.onFrame(frame);
    };
    ws.onclose = (e) => this.onClose(ws, e.code, e.reason);
  }

  onFrame(frame) {
    if (frame.type === 'hello') {
      this.ready = true;
      this.attempt = 0;
      const reconnected = this.connects++ > 0;
      this.startHeartbeat(frame.data?.heartbeatMs);
      this.handlers.status('online');
      this.handlers.hello(frame.data, reconnected);
      for (const entry of this.pending.values()) if (!entry.sent) this.transmit(entry);
      return;
    }
    if (frame.type === 'reply') {
      const entry = this.pending.get(frame.ref);
      if (!entry) return; // timed out already
      this.pending.delete(frame.ref);
      clearTimeout(entry.timer);
      if (frame.ok) entry.resolve(frame.data ?? {});
      else entry.reject(new RequestError(frame.error?.code ?? 'INTERNAL', frame.error?.message ?? 'failed', frame.error?.retryAfterMs));
      return;
    }
    if (frame.type === 'pong') return;
    this.handlers.event(frame);
  }

  onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    this.stopHeartbeat();
    // An op that went out on this socket may or may not have run: tell the caller, who knows
    // whether retrying is safe (message.send is, with the same clientMsgId).
    this.failAll(new RequestError('DISCONNECTED', 'connection lost'), (e) => e.sent);
    if (this.stopped) return;
    if (code === 4001) {
      // Bad or expired token: reconnecting cannot help.
      this.stopped = true;
      this.failAll(new RequestError('UNAUTHORIZED', reason || 'session expired'), () => true);
      this.handlers.authFailed();
      return;
    }
    if (this.held) {
      this.handlers.status('offline');
      return;
    }
    // Exponential backoff with jitter so a restarted gateway is not hit by everyone at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt++);
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));
    this.handlers.status('waiting', { inMs: delay, code });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  transmit(entry) {
    entry.sent = true;
    this.ws.send(entry.frame);
  }

  failAll(error, which) {
    for (const [ref, entry] of this.pending) {
      if (!which(entry)) continue;
      this.pending.delete(ref);
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  /** The browser answers the server's pings; our own ping notices a half-open socket. */
  startHeartbeat(heartbeatMs) {
    this.stopHeartbeat();
    const every = Math.max(5_000, Number(heartbeatMs) || 25_000);
    const ws = this.ws;
    this.heartbeat = setInterval(() => {
      this.request('ping', undefined, REQUEST_TIMEOUT_MS).catch((err) => {
        if (err.code === 'TIMEOUT' && this.ws === ws) ws.close(CLOSE_HEARTBEAT, 'heartbeat timeout');
      });
    }, every);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
