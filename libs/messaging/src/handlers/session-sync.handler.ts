import { RoomRepository } from '@chat/store';
import { Keys, USER_ROOMS_LOADED } from '@chat/redis';
import { OpContext, OpHandler } from '../op-context';

/**
 * `$session.sync` (gateway-internal): a gateway found no room set for a connecting user in
 * Redis. Load it from PostgreSQL into Redis (marked loaded) and tell the gateway, which then
 * subscribes the socket and says hello.
 */
export class SessionSyncHandler implements OpHandler<unknown> {
  constructor(private readonly rooms: RoomRepository) {}

  async handle(ctx: OpContext): Promise<void> {
    const roomIds = await this.rooms.roomIdsOf(ctx.user.id);
    ctx.out.add(['sadd', Keys.userRooms(ctx.user.id), USER_ROOMS_LOADED, ...roomIds]);
    ctx.out.toConnection(ctx.env, { sync: roomIds });
  }
}
