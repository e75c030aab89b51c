import { idString, MAX_SEARCH_QUERY_LENGTH } from '@chat/protocol';
import { z } from 'zod';
import { blankIsAbsent } from '../http/query-params';


/**
 * `GET /api/search?q=&roomId=&authorId=&before=&after=&limit=`: the bounds of the `search`
 * op (query 1..500 characters, limit 1..50); anything else is BAD_REQUEST.
 */
export const SearchQuery = z.object({
  q: z.string().trim().min(1, 'q must not be empty').max(MAX_SEARCH_QUERY_LENGTH),
  roomId: z.preprocess(blankIsAbsent, idString.optional()),
  authorId: z.preprocess(blankIsAbsent, idString.optional()),
  before: z.preprocess(blankIsAbsent, z.iso.datetime({ offset: true }).optional()),
  after: z.preprocess(blankIsAbsent, z.iso.datetime({ offset: true }).optional()),
  limit: z.preprocess(blankIsAbsent, z.string().regex(/^\d{1,2}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(50)).optional()),
});
export type SearchQuery = z.infer<typeof SearchQuery>;
