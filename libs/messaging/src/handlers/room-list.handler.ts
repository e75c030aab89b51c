import { OpDataOf } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { OpContext, OpHandler } from '../op-context';

/** `room.list`: public rooms and the caller's rooms, each with its unread count. */
export class RoomListHandler implements OpHandler<OpDataOf<'room.list'>> {
  constructor(private readonly rooms: RoomRepository) {}

  async handle(ctx: OpContext): Promise<void> {
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ rooms: await this.rooms.listFor(ctx.user.id) }));
  }
}
