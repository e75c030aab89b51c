import { BearerGuard, CurrentUser } from '@chat/accounts';
import type { User } from '@chat/protocol';
import { SearchQueries } from '@chat/search';
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { SearchQuery } from './search-query.schema';

/** The `search` op over HTTP: the same queries, read from the same index. */
@Controller('api/search')
@UseGuards(BearerGuard)
export class SearchController {
  constructor(@Inject(SearchQueries) private readonly queries: SearchQueries) {}

  @Get()
  search(@CurrentUser() user: User, @Query({ schema: SearchQuery }) { q, ...filters }: SearchQuery) {
    return this.queries.search(user.id, { query: q, ...filters });
  }
}
