import { OpDataOf } from '@chat/protocol';
import type { UserRepository } from '@chat/store';
import { OpContext, OpHandler } from '../op-context';

/**
 * `user.lookup`: a user by name, case-insensitive, so a client can `dm.open` or `room.invite`
 * someone it knows only by name. Answers only `{id, username}`, or NOT_FOUND.
 */
export class UserLookupHandler implements OpHandler<OpDataOf<'user.lookup'>> {
  constructor(private readonly users: Pick<UserRepository, 'requireByUsername'>) {}

  async handle(ctx: OpContext, { username }: OpDataOf<'user.lookup'>): Promise<void> {
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ user: await this.users.requireByUsername(username) }));
  }
}
