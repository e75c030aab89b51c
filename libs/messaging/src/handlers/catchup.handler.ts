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

  async handle(ctx: OpContext, { roomId, after }: CatchupData): Promise<void> {
    const members = await this.cache.members(roomId);
    if (!members?.has(ctx.user.id)) return;
    await replayMissed(this.messages, ctx.out, ctx.env, roomId, after, this.limit);
  }
}
