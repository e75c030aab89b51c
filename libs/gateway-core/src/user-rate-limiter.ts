import { Keys } from '@chat/redis';
import { RateCount, RateIncrement, RateLimitStore } from './ports/rate-limit-store';

export interface UserRates {
  windowMs: number;
  /** Frames (of any op) and sends allowed per window. */
  frames: number;
  sends: number;
  /** How often this gateway's local counts are added to the shared ones (one round trip for all users). */
  syncMs: number;
}

/**
 * Below this share of a limit (as last known, plus what is counted locally and not yet
 * synced), a frame passes with no I/O; above it, it waits for the next sync (one round
 * trip shared by every waiting user) and is judged on the fresh shared count. So a person
 * chatting never waits, and the limit holds exactly for up to 1/LOCAL_SHARE gateways
 * admitting at once (more gateways may overshoot by LOCAL_SHARE × limit each, once per window).
 */
const LOCAL_SHARE = 0.5;

/** One fixed-window counter of a user as this gateway knows it. */
class SharedCount {
  /** The shared total at the last sync (every gateway's frames). */
  known = 0;
  /** Counted here since the last sync. */
  pending = 0;
  /** When the shared window ends (ms since epoch); 0 when not known. */
  resetAt = 0;

  expire(now: number): void {
    if (this.resetAt !== 0 && this.resetAt <= now) this.known = this.resetAt = 0;
  }
}

interface Waiter {
  isSend: boolean;
  /** This frame's position among the counts of its sync (1-based), per counter. */
  frameAt: number;
  sendAt: number;
  resolve: (wait: number) => void;
  reject: (err: unknown) => void;
}

interface UserCounts {
  frames: SharedCount;
  sends: SharedCount;
  /** Frames waiting for the next sync, in arrival order; later frames of the user queue behind them. */
  waiters: Waiter[];
}

/**
 * Per-user limits across all gateways (a user with many sockets, or on many gateways), off
 * the critical path: frames are counted locally and the counts are added to fixed windows
 * shared in Redis in batches (INCRBY, every `syncMs`, or at once when a frame waits near
 * the limit). Frames of one user are admitted in arrival order, also when some wait.
 */
export class UserRateLimiter {
  private readonly users = new Map<string, UserCounts>();
  /** Users with local counts not yet synced: a sync visits only these. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushScheduled = false;

  constructor(
    private readonly store: RateLimitStore,
    private readonly rates: UserRates,
    private readonly onSyncError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.rates.syncMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Users with state here (active in their current window). */
  get size(): number {
    return this.users.size;
  }

  /**
   * 0 when the frame may pass (counted), else the ms until the user may send again; a
   * promise of that when the frame has to wait for the next sync.
   */
  take(userId: string, isSend: boolean): number | Promise<number> {
    const now = this.now();
    let user = this.users.get(userId);
    if (!user) this.users.set(userId, (user = { frames: new SharedCount(), sends: new SharedCount(), waiters: [] }));
    user.frames.expire(now);
    user.sends.expire(now);
    if (user.waiters.length === 0) {
      const refused = Math.max(this.knownOver(user.frames, this.rates.frames, now), isSend ? this.knownOver(user.sends, this.rates.sends, now) : 0);
      if (refused > 0) return refused;
      if (this.isFarBelow(user.frames, this.rates.frames) && (!isSend || this.isFarBelow(user.sends, this.rates.sends))) {
        this.dirty.add(userId);
        user.frames.pending++;
        if (isSend) user.sends.pending++;
        return 0;
      }
    }
    this.dirty.add(userId);
    return this.waitForSync(user, isSend);
  }

  /** Forgets users whose windows ended and who have nothing pending (the gateway's 1 s sweep). */
  forgetIdle(): void {
    const now = this.now();
    for (const [userId, { frames, sends, waiters }] of this.users) {
      if (waiters.length === 0 && !this.dirty.has(userId) && frames.resetAt <= now && sends.resetAt <= now) this.users.delete(userId);
    }
  }

  /** The wait when the shared count is already known to be at the limit (no I/O needed). */
  private knownOver(count: SharedCount, limit: number, now: number): number {
    return count.known >= limit && count.resetAt > now ? count.resetAt - now : 0;
  }

  private isFarBelow(count: SharedCount, limit: number): boolean {
    return count.known + count.pending + 1 <= Math.floor(limit * LOCAL_SHARE);
  }

  private waitForSync(user: UserCounts, isSend: boolean): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const frameAt = ++user.frames.pending;
      const sendAt = isSend ? ++user.sends.pending : 0;
      user.waiters.push({ isSend, frameAt, sendAt, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => void this.sync());
    });
  }

  /** Adds every local count to the shared windows in one round trip and judges the waiting frames. */
  async sync(): Promise<void> {
    this.flushScheduled = false;
    const batch: { user: UserCounts; frames: number; sends: number; waiters: Waiter[] }[] = [];
    const increments: RateIncrement[] = [];
    for (const userId of this.dirty) {
      const user = this.users.get(userId)!;
      const { frames, sends } = user;
      batch.push({ user, frames: frames.pending, sends: sends.pending, waiters: user.waiters });
      increments.push({ key: Keys.rateFrames(userId), by: frames.pending });
      if (sends.pending > 0) increments.push({ key: Keys.rateSends(userId), by: sends.pending });
      frames.pending = sends.pending = 0;
      user.waiters = [];
    }
    this.dirty.clear();
    if (batch.length === 0) return;
    let counts: RateCount[];
    try {
      counts = await this.store.add(increments, this.rates.windowMs);
    } catch (err) {
      for (const { waiters } of batch) for (const w of waiters) w.reject(err);
      this.onSyncError(err);
      return;
    }
    const at = this.now();
    let i = 0;
    for (const entry of batch) {
      const frames = counts[i++];
      const sends = entry.sends > 0 ? counts[i++] : undefined;
      this.learn(entry.user.frames, frames, at);
      if (sends) this.learn(entry.user.sends, sends, at);
      for (const w of entry.waiters) w.resolve(this.judge(w, entry, frames, sends));
    }
  }

  private learn(count: SharedCount, shared: RateCount, at: number): void {
    count.known = shared.total;
    count.resetAt = at + shared.resetInMs;
  }

  /** The frame passes when the shared total up to its own position is within the limit. */
  private judge(w: Waiter, entry: { frames: number; sends: number }, frames: RateCount, sends?: RateCount): number {
    const framesBefore = frames.total - entry.frames;
    if (framesBefore + w.frameAt > this.rates.frames) return Math.max(1, frames.resetInMs);
    if (w.isSend && sends && sends.total - entry.sends + w.sendAt > this.rates.sends) return Math.max(1, sends.resetInMs);
    return 0;
  }
}
