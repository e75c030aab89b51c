import { CloseCode } from '@chat/protocol';
import { RoomRepository, UserRepository } from '@chat/store';
import { Keys, USER_ROOMS_LOADED } from '@chat/redis';
import { OpContext, OpHandler } from '../op-context';

/**
 * `$session.sync` (gateway-internal): a gateway found no room set for a connecting user in
 * Redis. Load it from PostgreSQL into Redis (marked loaded) and tell the gateway, which then
 * subscribes the socket and says hello. A valid token of a user that does not exist (deleted,
 * or signed for an id that was never registered) is answered with a close (4001) instead:
 * the gateway never reads PostgreSQL, so this is where an unknown user is refused.
 */
export class SessionSyncHandler implements OpHandler<unknown> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
  ) {}

  async handle(ctx: OpContext): Promise<void> {
    if (!(await this.users.findById(ctx.user.id))) {
      ctx.out.toConnection(ctx.env, { close: { code: CloseCode.UNAUTHORIZED, reason: 'unknown user' } });
      return;
    }
    const roomIds = await this.rooms.roomIdsOf(ctx.user.id);
    ctx.out.add(['sadd', Keys.userRooms(ctx.user.id), USER_ROOMS_LOADED, ...roomIds]);
    ctx.out.toConnection(ctx.env, { sync: roomIds });
  }
}
