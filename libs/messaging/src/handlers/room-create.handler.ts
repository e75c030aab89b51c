import { derivedId, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { OpContext, OpHandler } from '../op-context';

/**
 * `room.create`: the creator becomes owner. The id is derived from the stream entry, so a
 * redelivered entry finds the room it already created instead of making a second one.
 * A public room is announced to everyone (`room.created`), so room lists stay live; a
 * redelivery announces it again, which clients take as the same room.
 */
export class RoomCreateHandler implements OpHandler<OpDataOf<'room.create'>> {
  constructor(private readonly rooms: RoomRepository) {}

  async handle(ctx: OpContext, data: OpDataOf<'room.create'>): Promise<void> {
    const id = derivedId('r', ctx.entryKey);
    const room =
      (await this.rooms.findById(id)) ??
      (await this.rooms.create({ id, name: data.name, topic: data.topic ?? '', kind: data.kind, createdBy: ctx.user.id }));
    ctx.out.userJoinedRoom(ctx.user.id, room.id);
    ctx.out.toUser(ctx.user.id, { sub: [{ roomId: room.id, after: room.lastSeq }] });
    if (room.kind === 'public') ctx.out.toEveryone(eventFrame(ServerEvent.ROOM_CREATED, { room }));
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ room }));
  }
}
