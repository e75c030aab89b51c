import { InternalOp, InternalOpData } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { z } from 'zod';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { replayMissed } from '../replay';

type CatchupData = z.output<(typeof InternalOpData)[typeof InternalOp.CATCHUP]>;

/** `$catchup` (gateway-internal): after subscribing a socket to a room it just joined. */
export class CatchupHandler implements OpHandler<CatchupData> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
    private readonly limit: number,
  ) {}

  /**
   * Replays seq > after, then says up to which seq it did: the gateway held back live events
   * meanwhile and now drops those it replayed, sends the rest, and goes live. Always answered,
   * so the gateway never waits on a catch-up (a non-member gets nothing replayed).
   */
  async handle(ctx: OpContext, { roomId, after }: CatchupData): Promise<void> {
    const members = await this.cache.members(roomId);
    const { upTo } = members?.has(ctx.user.id)
      ? await replayMissed(this.messages, ctx.out, ctx.env, roomId, after, this.limit)
      : { upTo: after };
    ctx.out.toConnection(ctx.env, { caughtUp: { roomId, upTo } });
  }
}
