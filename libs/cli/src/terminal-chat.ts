import { ChatClient, MembersState, RoomsState, TypingState } from '@chat/client';
import type { Message, Room } from '@chat/protocol';
import { messageLine } from './message-format';
import { Output } from './output';
import { RoomLog } from './room-log';

/** Messages of a room shown on entering it (a join's reply carries up to 50). */
const SHOWN_ON_ENTRY = 20;

/**
 * The terminal's state — the room being talked in, the messages seen — and how server
 * events become lines. Commands (commands.ts) act on it.
 */
export class TerminalChat {
  readonly rooms: RoomsState;
  readonly members: MembersState;
  readonly typing: TypingState;
  readonly log = new RoomLog();
  current?: Room;
  /** Usernames by id, from every message, member list and event seen. */
  private readonly names = new Map<string, string>();

  constructor(
    readonly client: ChatClient,
    readonly out: Output,
  ) {
    this.rooms = new RoomsState(client);
    this.members = new MembersState(client);
    this.typing = new TypingState(client);
    this.showEvents();
  }

  /** Makes `room` the one plain lines go to, and shows its last messages. */
  enter(room: Room, messages: Message[]): void {
    this.current = room;
    this.out.line('info', `* now in #${room.name} (${room.id})${room.topic ? ` — ${room.topic}` : ''}`);
    for (const m of messages.slice(-SHOWN_ON_ENTRY)) this.show(m);
  }

  show(m: Message): void {
    this.log.keep(m);
    const replyTo = m.replyTo === undefined ? undefined : this.log.byMessageId(m.replyTo)?.seq;
    const where = this.current?.id === m.roomId ? '' : `(${this.rooms.get(m.roomId)?.name ?? m.roomId}) `;
    this.out.line(m.author.id === this.client.me?.userId ? 'mine' : 'message', `${where}${messageLine(m, replyTo)}`);
  }

  /** A user's name, from whatever this terminal has seen of them (the id when nothing). */
  nameOf(userId: string): string {
    if (userId === this.client.me?.userId) return this.client.me.username;
    return this.names.get(userId) ?? userId;
  }

  private inCurrent(roomId: string): boolean {
    return this.current?.id === roomId;
  }

  private showEvents(): void {
    const { client, out } = this;
    client.on('message', (m) => {
      this.names.set(m.author.id, m.author.username);
      this.show(m);
    });
    this.members.on('change', ({ members }) => {
      for (const m of members) this.names.set(m.id, m.username);
    });
    client.on('message.updated', (m) => this.inCurrent(m.roomId) && this.show(m));
    client.on('message.deleted', ({ roomId, seq, deletedBy }) => {
      const kept = this.log.at(roomId, seq);
      if (kept) this.log.keep({ ...kept, text: '', deletedAt: new Date().toISOString(), reactions: [] });
      if (this.inCurrent(roomId)) out.line('event', `[${seq}] deleted by ${this.nameOf(deletedBy)}`);
    });
    client.on('reaction.updated', ({ messageId, roomId, emoji, count }) => {
      if (!this.inCurrent(roomId)) return;
      const seq = this.log.byMessageId(messageId)?.seq ?? '?';
      out.line('event', `[${seq}] reaction ${emoji} ${count}`);
    });
    this.typing.on('change', ({ roomId, started }) => {
      if (!this.inCurrent(roomId)) return;
      for (const id of started) if (id !== client.me?.userId) out.line('info', `* ${this.nameOf(id)} is typing…`);
    });
    client.on('presence.updated', ({ userId, status }) => {
      if (userId === client.me?.userId) out.line('info', `* you are ${status}`);
      else if (this.current && this.members.of(this.current.id).some((m) => m.id === userId)) out.line('info', `* ${this.nameOf(userId)} is ${status}`);
    });
    client.on('room.member_joined', ({ roomId, user, invitedBy, room }) => {
      this.names.set(user.id, user.username);
      if (room && user.id === client.me?.userId) {
        this.rooms.add({ ...room, unread: room.lastSeq, joined: true });
        out.line('event', `* ${invitedBy ? this.nameOf(invitedBy) : 'someone'} invited you to #${room.name} (${room.id})`);
      } else if (this.inCurrent(roomId)) out.line('event', `* ${user.username} joined${invitedBy ? ` (invited by ${this.nameOf(invitedBy)})` : ''}`);
    });
    client.on('room.member_left', ({ roomId, userId, reason, by }) => {
      const me = userId === client.me?.userId;
      if (!this.inCurrent(roomId) && !me) return;
      const how = reason === 'left' ? 'left' : `${me ? 'were' : 'was'} ${reason}${by ? ` by ${this.nameOf(by)}` : ''}`;
      out.line('event', `* ${me ? 'you' : this.nameOf(userId)} ${how} ${this.rooms.get(roomId) ? `#${this.rooms.get(roomId)!.name}` : roomId}`);
      if (me && this.inCurrent(roomId)) this.current = undefined;
    });
    client.on('dm.opened', ({ room }) => out.line('event', `* direct messages open: #${room.name} (${room.id})`));
    client.on('reconnecting', ({ code, reason, delayMs }) =>
      out.line('error', `* connection lost (${code}${reason ? ` ${reason}` : ''}); reconnecting in ${delayMs} ms`),
    );
    client.on('ready', ({ username, reconnected }) => out.line('info', reconnected ? '* reconnected' : `* connected as ${username}`));
    client.on('room.lost', ({ roomId }) => {
      out.line('error', `* you are no longer in ${roomId}`);
      if (this.inCurrent(roomId)) this.current = undefined;
    });
    client.on('warning', ({ message }) => out.line('error', `! ${message}`));
    client.on('error', ({ code, message }) => out.line('error', `! ${code}: ${message}`));
  }
}
