import Redis from 'ioredis';
import { Keys, USER_ROOMS_LOADED } from '@chat/redis';
import { RoomSetCache, SessionFacts } from './room-set-cache';

/** SMEMBERS `chat:user-rooms:{uid}` and GET of the revocation key, in one pipeline. */
export class RedisRoomSetCache implements RoomSetCache {
  constructor(private readonly redis: Redis) {}

  async read(userId: string): Promise<SessionFacts> {
    const results = await this.redis.pipeline().smembers(Keys.userRooms(userId)).get(Keys.tokensRevokedBefore(userId)).exec();
    const [[roomsErr, members], [revokedErr, revoked]] = results as [[Error | null, string[]], [Error | null, string | null]];
    if (roomsErr) throw roomsErr;
    if (revokedErr) throw revokedErr;
    const revokedBefore = revoked === null ? undefined : Number(revoked);
    if (!members.includes(USER_ROOMS_LOADED)) return { revokedBefore };
    return { rooms: members.filter((m) => m !== USER_ROOMS_LOADED), revokedBefore };
  }
}
