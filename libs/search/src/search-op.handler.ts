import { OpDataOf } from '@chat/protocol';
import { OpContext, OpHandler } from '@chat/messaging';
import { SearchQueries } from './search-queries';

/** The `search` op: the caller's hits, as `{hits: [{message, highlight, score}]}`. */
export class SearchOpHandler implements OpHandler<OpDataOf<'search'>> {
  constructor(private readonly queries: SearchQueries) {}

  async handle(ctx: OpContext, data: OpDataOf<'search'>): Promise<void> {
    const result = await this.queries.search(ctx.user.id, data);
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify(result));
  }
}
