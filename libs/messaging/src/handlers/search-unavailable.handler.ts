import { ChatError, ErrorCode, OpDataOf } from '@chat/protocol';
import { OpHandler } from '../op-context';

/** `search` until the search service answers it: a clear refusal, never silence. */
export class SearchUnavailableHandler implements OpHandler<OpDataOf<'search'>> {
  async handle(): Promise<void> {
    throw new ChatError(ErrorCode.UNAVAILABLE, 'search is not available on this server yet');
  }
}
