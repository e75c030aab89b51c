import { Logger } from '@chat/observability';
import { DeadLetter, deadLetterError, isTransientError, streamMetrics } from '@chat/streams';
import { ChatEventEntry, decodeChatEventEntry } from './chat-event-entry';
import { EventSource, SourceEntry } from './event-source';
import { StreamTransportMetrics } from './stream-transport.metrics';

/** Where an event is, for handlers that need it (idempotency keys, logs). */
export interface EventOrigin {
  stream: string;
  id: string;
  /** The entry may have been handled before (claimed from another consumer, or retried). */
  redelivered: boolean;
}

/**
 * Runs the handler of one event; resolves once its effects are durable. Resolves `false`
 * when nothing handles that type (the entry is acknowledged all the same).
 */
export type EventDispatch = (event: ChatEventEntry, origin: EventOrigin) => Promise<boolean>;

export interface EventPumpOptions {
  group: string;
  batchSize: number;
  blockMs: number;
  /** Entries another consumer left pending this long are taken over (it died or hangs). */
  claimIdleMs: number;
  /** Streams with a batch in hand at once (each stream has at most one). */
  maxInFlight: number;
  /** First pause before a stream whose handler failed transiently is retried; doubles up to 30 s. */
  retryMs: number;
  /** False: a batch's entries go to their handlers at once (handlers apply in any order). Default true. */
  ordered?: boolean;
}

interface StreamState {
  busy: boolean;
  /** This consumer holds unacknowledged entries of the stream that must go before new ones. */
  ownPending: boolean;
  retryMs: number;
  lastT?: number;
}

const MAX_RETRY_MS = 30_000;

/** What became of one entry. */
interface EntryOutcome {
  /** Leave it pending: retried later (transient failure). */
  retry?: boolean;
  /** Acknowledge it with this dead letter. */
  dead?: DeadLetter;
  /** Its append time, for the seconds-behind gauge. */
  t?: number;
}

interface PendingRead {
  streams: string[];
  done: Promise<void>;
  settled: boolean;
  batches: { stream: string; entries: SourceEntry[] }[];
  error?: unknown;
}

/**
 * Moves events from the streams to their handlers, for one consumer of one group.
 * - One batch per stream at a time, entries of a batch one after the other: a stream's
 *   entries reach this consumer's handlers in stream order — unless `ordered` is false
 *   (handlers that apply events idempotently in any order, like the search index): then a
 *   batch's entries go to their handlers all at once, so the handlers can coalesce them. At most `maxInFlight` streams
 *   are in hand at once; no stream is read meanwhile (back-pressure). One blocking
 *   XREADGROUP covers every free stream; when a stream frees up it is interrupted
 *   (CLIENT UNBLOCK) so the next read covers that stream too.
 * - An entry is acknowledged after its handler resolved. A bad entry (not a chat event) and
 *   a handler's own failure are acknowledged with a dead letter (`<stream>:dead`): the stream
 *   never stops for one entry. A transient failure (database or Redis away) stops the
 *   stream's batch there, unacknowledged: after a pause the consumer retries it from its own
 *   pending entries, still in order.
 * - First this consumer's own pending entries (a restart under the same name), then new ones;
 *   every `claimIdleMs`, entries other consumers left pending that long.
 */
export class EventPump {
  private readonly states = new Map<string, StreamState>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private running?: Promise<void>;
  private nextClaim = 0;
  private reading?: PendingRead;
  private wakeStop!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.wakeStop = resolve));

  constructor(
    private readonly source: EventSource,
    private readonly streams: string[],
    private readonly dispatch: EventDispatch,
    private readonly options: EventPumpOptions,
    private readonly metrics: StreamTransportMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const stream of streams) this.states.set(stream, { busy: false, ownPending: true, retryMs: options.retryMs });
  }

  start(): void {
    this.running = this.run();
  }

  /** Finishes the entry in hand on each stream and acknowledges what is done; the rest stays pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStop();
    // A blocked read would hold stop() for blockMs.
    await this.source.interruptRead().catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.source.ensureGroups();
        this.nextClaim = this.now() + this.options.claimIdleMs;
        await this.loop();
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ err, group: this.options.group }, 'event stream reader failed; restarting it');
        await this.pause(500);
      }
    }
    await Promise.allSettled([...this.inFlight, ...(this.reading ? [this.reading.done] : [])]);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.beginOwnPending();
      this.beginClaims();
      if (!this.reading && this.hasRoom()) {
        const readable = this.streams.filter((s) => this.isFree(s) && !this.states.get(s)!.ownPending);
        if (readable.length > 0) this.startRead(readable);
      }
      await Promise.race([this.stopSignal, ...(this.reading ? [this.reading.done] : []), ...this.inFlight]);
      const read = this.reading;
      if (!read?.settled) continue;
      this.reading = undefined;
      if (read.error !== undefined) throw read.error;
      if (this.stopped) break; // read but stopping: they stay pending for us (or whoever claims them)
      for (const { stream, entries } of read.batches) {
        if (entries.length > 0) this.begin(stream, () => this.handleBatch(stream, entries, false));
      }
    }
  }

  /** A stream is free when no batch of it is in hand and no read in flight covers it. */
  private isFree(stream: string): boolean {
    return !this.states.get(stream)!.busy && !this.reading?.streams.includes(stream);
  }

  private beginOwnPending(): void {
    for (const stream of this.streams) {
      const state = this.states.get(stream)!;
      if (!state.ownPending || !this.isFree(stream) || !this.hasRoom()) continue;
      this.begin(stream, async () => {
        const entries = await this.source.readOwnPending(stream, this.options.batchSize);
        if (entries.length === 0) state.ownPending = false;
        else await this.handleBatch(stream, entries, true);
      });
    }
  }

  private beginClaims(): void {
    if (this.now() < this.nextClaim) return;
    this.nextClaim = this.now() + this.options.claimIdleMs;
    for (const stream of this.streams) {
      if (!this.isFree(stream) || !this.hasRoom()) continue;
      this.begin(stream, async () => {
        const entries = await this.source.claimIdle(stream, this.options.batchSize, this.options.claimIdleMs);
        if (entries.length === 0) return;
        this.logger.info({ stream, count: entries.length }, 'claimed events another consumer left pending');
        await this.handleBatch(stream, entries, true);
      });
    }
  }

  /** One blocking read over every free stream; woken early (CLIENT UNBLOCK) when a stream frees up. */
  private startRead(streams: string[]): void {
    const blockMs = Math.max(1, Math.min(this.options.blockMs, this.nextClaim - this.now()));
    const read: PendingRead = { streams, settled: false, batches: [], done: Promise.resolve() };
    read.done = this.source.readNew(streams, this.options.batchSize, blockMs).then(
      (batches) => void Object.assign(read, { batches, settled: true }),
      (error: unknown) => void Object.assign(read, { error: error ?? new Error('read failed'), settled: true }),
    );
    this.reading = read;
  }

  private hasRoom(): boolean {
    return this.inFlight.size < this.options.maxInFlight;
  }

  private begin(stream: string, work: () => Promise<void>): void {
    const state = this.states.get(stream)!;
    state.busy = true;
    const task = work()
      .catch((err) => {
        // Redis away while reading or settling: what was not acknowledged is ours to redo.
        state.ownPending = true;
        this.logger.warn({ err, stream }, 'event batch could not be settled; retrying from this consumer’s pending entries');
        return this.pause(this.backoff(state));
      })
      .finally(() => {
        state.busy = false;
        this.inFlight.delete(task);
        // The read in flight does not cover this stream: end it so the next one does.
        if (this.reading && !this.reading.settled && !this.stopped) this.source.interruptRead().catch(() => undefined);
      });
    this.inFlight.add(task);
  }

  private async handleBatch(stream: string, entries: SourceEntry[], redelivered: boolean): Promise<void> {
    const state = this.states.get(stream)!;
    const acked: string[] = [];
    const dead: DeadLetter[] = [];
    let retry = false;
    const take = (entry: SourceEntry, outcome: EntryOutcome) => {
      if (outcome.retry) return void (retry = true);
      if (outcome.dead) dead.push(outcome.dead);
      acked.push(entry.id);
      if (outcome.t !== undefined) state.lastT = outcome.t;
    };
    if (this.options.ordered === false) {
      // Order does not matter to the handlers: the whole batch at once (they may coalesce).
      const live = this.stopped ? [] : entries;
      const outcomes = await Promise.all(live.map((entry) => this.handleEntry(stream, entry, redelivered)));
      live.forEach((entry, i) => take(entry, outcomes[i]));
    } else {
      for (const entry of entries) {
        if (this.stopped) break; // the rest stays pending
        const outcome = await this.handleEntry(stream, entry, redelivered);
        take(entry, outcome);
        if (outcome.retry) break; // in order: nothing after it either
      }
    }
    await this.source.settle(stream, acked, dead);
    for (const _ of dead) streamMetrics().deadLetters.inc({ stream });
    if (acked.length < entries.length) state.ownPending = true; // stopped, or a retry: ours to finish first
    await this.reportLag(stream, state);
    if (retry) await this.pause(this.backoff(state));
    else state.retryMs = this.options.retryMs;
  }

  /** One entry: handled (ack), ignored (ack), bad or failed on its own (dead letter + ack), or transient (retry). */
  private async handleEntry(stream: string, entry: SourceEntry, redelivered: boolean): Promise<EntryOutcome> {
    if (entry.fields === null) return {}; // trimmed away while pending: nothing left to handle
    const decoded = decodeChatEventEntry(entry.fields);
    if (!decoded.ok) {
      this.logger.error({ stream, id: entry.id, error: decoded.error }, 'bad event entry; dead-lettering it');
      this.metrics.events.inc({ group: this.options.group, type: 'unknown', outcome: 'bad_entry' });
      return { dead: { stream, id: entry.id, fields: entry.fields, error: `bad entry: ${decoded.error}` } };
    }
    const { type } = decoded.event;
    try {
      const handled = await this.dispatch(decoded.event, { stream, id: entry.id, redelivered });
      this.metrics.events.inc({ group: this.options.group, type, outcome: handled ? 'handled' : 'ignored' });
      return { t: decoded.event.t };
    } catch (err) {
      if (isTransientError(err)) {
        this.logger.warn({ err, stream, id: entry.id, type }, 'event handler failed transiently; retrying the stream from this entry');
        this.metrics.events.inc({ group: this.options.group, type, outcome: 'retry' });
        return { retry: true };
      }
      this.logger.error({ err, stream, id: entry.id, type }, 'event handler failed; dead-lettering the event');
      this.metrics.events.inc({ group: this.options.group, type, outcome: 'dead_lettered' });
      return { dead: { stream, id: entry.id, fields: entry.fields, error: deadLetterError(err) }, t: decoded.event.t };
    }
  }

  private backoff(state: StreamState): number {
    const ms = state.retryMs;
    state.retryMs = Math.min(MAX_RETRY_MS, state.retryMs * 2);
    return ms;
  }

  private async reportLag(stream: string, state: StreamState): Promise<void> {
    const labels = { group: this.options.group, stream };
    try {
      const behind = await this.source.behind(stream);
      if (behind !== undefined) this.metrics.behindEntries.set(labels, behind);
      if (state.lastT !== undefined) this.metrics.behindSeconds.set(labels, behind === 0 ? 0 : Math.max(0, (this.now() - state.lastT) / 1000));
    } catch (err) {
      this.logger.debug({ err, stream }, 'could not read the group’s lag');
    }
  }

  /** A pause that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopSignal]).finally(() => clearTimeout(timer));
  }
}
