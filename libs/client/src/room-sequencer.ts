import type { Message } from '../../protocol/src/wire';

interface RoomLine {
  /** The newest seq handed to the app (0: none yet). */
  delivered: number;
  /** No baseline yet (a join in flight): hold everything until `release`. */
  held: boolean;
  /** Messages waiting for a gap before them to be filled, or for a resume to finish. */
  waiting: Map<number, Message>;
  /** A resume or gap fill is running: deliver nothing until `settle`. */
  syncing: boolean;
}

/** What to do after a change: messages the app may see now, and where a gap must be filled from history. */
export interface Sequenced {
  deliver: Message[];
  /** The room has a hole before this seq (and after `delivered`): page back with history before it. */
  gapBefore?: number;
}

/**
 * Turns the messages of each room, as they arrive — live, replayed by `resume`, paged back by
 * history, possibly twice, possibly out of order around a reconnect — into one gapless run in
 * seq order per room. Pure bookkeeping, no I/O: the client asks it what to deliver and which
 * gaps to fill.
 */
export class RoomSequencer {
  private readonly rooms = new Map<string, RoomLine>();

  /** Rooms with a baseline and their last delivered seq: what `resume` sends. */
  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [roomId, line] of this.rooms) if (!line.held) out[roomId] = line.delivered;
    return out;
  }

  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  lastSeq(roomId: string): number | undefined {
    return this.rooms.get(roomId)?.delivered;
  }

  /** A join is in flight: keep what arrives for the room until its snapshot's seq is known. */
  hold(roomId: string): void {
    if (!this.rooms.has(roomId)) this.rooms.set(roomId, { delivered: 0, held: true, waiting: new Map(), syncing: false });
  }

  /** The join failed: stop holding the room, unless it was followed before. */
  cancelHold(roomId: string): void {
    if (this.rooms.get(roomId)?.held) this.rooms.delete(roomId);
  }

  /**
   * The app has the room up to `seq` (a join's snapshot, a created room, an invite): deliver only
   * what follows. A baseline never moves back.
   */
  release(roomId: string, seq: number): Sequenced {
    const line = this.rooms.get(roomId);
    if (!line) {
      this.rooms.set(roomId, { delivered: seq, held: false, waiting: new Map(), syncing: false });
      return { deliver: [] };
    }
    line.delivered = line.held ? seq : Math.max(line.delivered, seq);
    line.held = false;
    return this.drain(line);
  }

  /** Forget a room (left, kicked, no longer allowed). */
  drop(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** A `resume` or gap fill starts for these rooms: collect, deliver nothing until `settle`. */
  sync(roomIds: Iterable<string>): void {
    for (const roomId of roomIds) {
      const line = this.rooms.get(roomId);
      if (line && !line.held) line.syncing = true;
    }
  }

  /** The resume (or fill) of a room is done: deliver what is in order, or name the next gap. */
  settle(roomId: string): Sequenced {
    const line = this.rooms.get(roomId);
    if (!line) return { deliver: [] };
    line.syncing = false;
    return this.drain(line);
  }

  /** The connection dropped: what was waiting will come again with the next resume. */
  reset(): void {
    for (const line of this.rooms.values()) {
      line.syncing = false;
      if (!line.held) line.waiting.clear();
    }
  }

  /** A message arrived (live, replayed or paged back). A room never seen starts right before it. */
  accept(message: Message): Sequenced {
    let line = this.rooms.get(message.roomId);
    if (!line) {
      line = { delivered: message.seq - 1, held: false, waiting: new Map(), syncing: false };
      this.rooms.set(message.roomId, line);
    }
    if (message.seq <= line.delivered && !line.held) return { deliver: [] };
    line.waiting.set(message.seq, message);
    return line.held || line.syncing ? { deliver: [] } : this.drain(line);
  }

  private drain(line: RoomLine): Sequenced {
    for (const seq of line.waiting.keys()) if (seq <= line.delivered) line.waiting.delete(seq);
    const deliver: Message[] = [];
    for (let next = line.waiting.get(line.delivered + 1); next; next = line.waiting.get(line.delivered + 1)) {
      line.waiting.delete(next.seq);
      line.delivered = next.seq;
      deliver.push(next);
    }
    if (line.waiting.size === 0) return { deliver };
    return { deliver, gapBefore: Math.min(...line.waiting.keys()) };
  }
}
