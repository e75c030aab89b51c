import { ChatRequestError, ConnectionLostError } from './errors';
import { RoomSequencer, Sequenced } from './room-sequencer';
import { ErrorCode, MAX_HISTORY_LIMIT, Message, Op, ReplyDataOf } from '../../protocol/src/wire';

/** What RoomSync needs of the connection. */
export interface RoomSyncLink {
  /** A request on the current socket; rejects with ConnectionLostError if the socket drops first. */
  request(op: 'resume' | 'message.history', data: unknown): Promise<unknown>;
  /** Hands one message to the app. */
  deliver(message: Message): void;
  /** The user cannot follow this room any more. */
  lost(roomId: string): void;
  warn(message: string, cause?: unknown): void;
  /** Reading back failed on a live socket: give it up and start over on a new one. */
  restart(reason: string, cause: unknown): void;
}

/**
 * Keeps each followed room gapless and in order for the app, across reconnects: `resume`
 * after every session, paging back with `message.history` over any hole (a truncated resume,
 * a live seq beyond the next), duplicates dropped — the bookkeeping is RoomSequencer's, the
 * I/O is here. Answers meant for a socket that has dropped since are ignored (`generation`).
 */
export class RoomSync {
  private readonly sequencer = new RoomSequencer();
  private readonly filling = new Set<string>();
  private generation = 0;

  constructor(private readonly link: RoomSyncLink) {}

  /** A session started: ask for everything after the last seq seen of each followed room. */
  resume(): void {
    const rooms = this.sequencer.positions();
    const roomIds = Object.keys(rooms);
    if (roomIds.length === 0) return;
    this.sequencer.sync(roomIds);
    const generation = this.generation;
    this.link.request('resume', { rooms }).then(
      (reply) => {
        if (generation !== this.generation) return;
        const { forbidden } = reply as ReplyDataOf<'resume'>;
        for (const roomId of forbidden) this.lose(roomId);
        for (const roomId of roomIds) if (!forbidden.includes(roomId)) this.deliver(roomId, this.sequencer.settle(roomId));
      },
      (err) => this.failed(generation, 'resume', err),
    );
  }

  /** The socket dropped: what was waiting comes again with the next resume. */
  reset(): void {
    this.generation++;
    this.sequencer.reset();
    this.filling.clear();
  }

  /** A `message.created`, live or replayed. */
  received(message: Message): void {
    this.deliver(message.roomId, this.sequencer.accept(message));
  }

  /** Keeps the followed rooms in step with an op the app made: before it is sent… */
  sending(op: Op, roomId: string | undefined): void {
    if (op === 'room.join') this.sequencer.hold(roomId!);
  }

  /** …when it failed… */
  refused(op: Op, roomId: string | undefined): void {
    if (op === 'room.join') this.sequencer.cancelHold(roomId!);
  }

  /** …and with its reply. */
  answered(op: Op, roomId: string | undefined, reply: unknown): void {
    if (op === 'room.join') {
      const { room, messages } = reply as ReplyDataOf<'room.join'>;
      this.deliver(room.id, this.sequencer.release(room.id, messages.at(-1)?.seq ?? room.lastSeq));
    } else if (op === 'room.create' || op === 'dm.open') {
      this.follow((reply as ReplyDataOf<'room.create'>).room);
    } else if (op === 'room.leave') {
      this.forget(roomId!);
    }
  }

  /** A room the user was put in (invite, DM): followed from the snapshot the event carries. */
  follow(room: { id: string; lastSeq: number }): void {
    if (!this.sequencer.has(room.id)) this.sequencer.release(room.id, room.lastSeq);
  }

  forget(roomId: string): void {
    this.sequencer.drop(roomId);
  }

  private deliver(roomId: string, sequenced: Sequenced): void {
    for (const message of sequenced.deliver) this.link.deliver(message);
    if (sequenced.gapBefore !== undefined) void this.fillGap(roomId, sequenced.gapBefore);
  }

  /** Pages back over the hole before `before`, newest page first, then delivers in order. */
  private async fillGap(roomId: string, before: number): Promise<void> {
    if (this.filling.has(roomId)) return;
    this.filling.add(roomId);
    this.sequencer.sync([roomId]);
    const generation = this.generation;
    const after = this.sequencer.lastSeq(roomId) ?? 0;
    let page: ReplyDataOf<'message.history'>;
    try {
      const limit = Math.min(MAX_HISTORY_LIMIT, before - after - 1);
      page = (await this.link.request('message.history', { roomId, beforeSeq: before, limit })) as ReplyDataOf<'message.history'>;
    } catch (err) {
      if (err instanceof ChatRequestError && (err.code === ErrorCode.FORBIDDEN || err.code === ErrorCode.NOT_FOUND)) return this.lose(roomId);
      return this.failed(generation, 'paging back', err);
    } finally {
      if (generation === this.generation) this.filling.delete(roomId);
    }
    if (generation !== this.generation) return;
    for (const message of page.messages) this.sequencer.accept(message);
    if (page.messages.length === 0) {
      this.link.warn(`room ${roomId}: seqs ${after + 1}–${before - 1} are not in its history; skipped`);
      this.sequencer.release(roomId, before - 1);
    }
    this.deliver(roomId, this.sequencer.settle(roomId));
  }

  private lose(roomId: string): void {
    this.sequencer.drop(roomId);
    this.link.lost(roomId);
  }

  private failed(generation: number, what: string, err: unknown): void {
    if (generation !== this.generation || err instanceof ConnectionLostError) return; // the next session resumes again
    this.link.restart(`${what} failed`, err);
  }
}
