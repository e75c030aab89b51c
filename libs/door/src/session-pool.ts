import { DoorSession } from './door-session';

interface Pooled {
  session: DoorSession;
  inFlight: number;
  lastUsedAt: number;
}

/**
 * Sessions for one-shot calls (gRPC unary, GraphQL over HTTP), kept per bearer token rather than opened per call:
 * opening one costs the gateway a session start (a Redis round trip, room subscriptions,
 * presence connect/disconnect), a call then costs only its op. Keyed by the token itself, not
 * the user: a session is as good as the token it was opened with (its expiry and revocation
 * close it, and the next call opens a new one, which fails on that token). A session unused
 * for `idleMs` is closed; one the server closed leaves at once. Its events are dropped unseen.
 */
export class SessionPool {
  private readonly pooled = new Map<string, Pooled>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly open: (token: string) => DoorSession,
    private readonly idleMs: number,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.max(500, Math.floor(idleMs / 2)));
    this.timer.unref();
  }

  /** Runs `work` on the token's session once it is ready (rejecting as the session does when it cannot be). */
  async use<T>(token: string, work: (session: DoorSession) => Promise<T>): Promise<T> {
    const entry = this.entryFor(token);
    entry.inFlight++;
    try {
      await entry.session.ready;
      return await work(entry.session);
    } finally {
      entry.inFlight--;
      entry.lastUsedAt = Date.now();
    }
  }

  private entryFor(token: string): Pooled {
    const existing = this.pooled.get(token);
    if (existing && !existing.session.closeReason) return existing;
    const entry: Pooled = { session: this.open(token), inFlight: 0, lastUsedAt: Date.now() };
    this.pooled.set(token, entry);
    void entry.session.closed.then(() => {
      if (this.pooled.get(token) === entry) this.pooled.delete(token);
    });
    return entry;
  }

  /** Closes the sessions idle for `idleMs` (none with a call in flight). */
  sweep(now = Date.now()): void {
    for (const [token, entry] of this.pooled) {
      if (entry.inFlight > 0 || now - entry.lastUsedAt < this.idleMs) continue;
      this.pooled.delete(token);
      entry.session.close('idle');
    }
  }

  get size(): number {
    return this.pooled.size;
  }

  close(): void {
    clearInterval(this.timer);
    for (const entry of this.pooled.values()) entry.session.close('shutting down');
    this.pooled.clear();
  }
}
