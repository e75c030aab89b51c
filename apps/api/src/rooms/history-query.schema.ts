import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, MAX_SEQ } from '@chat/protocol';
import { z } from 'zod';
import { blankIsAbsent } from '../http/query-params';

const wholeNumber = z.string().regex(/^\d{1,10}$/, 'must be a whole number').transform(Number);

/**
 * `GET /api/rooms/:id/messages?beforeSeq=&limit=`: the same bounds as the `message.history`
 * op (limit 1..100, default 50); anything else is BAD_REQUEST rather than silently clamped.
 */
export const HistoryQuery = z.object({
  beforeSeq: z.preprocess(blankIsAbsent, wholeNumber.pipe(z.number().int().positive().max(MAX_SEQ)).optional()),
  limit: z
    .preprocess(blankIsAbsent, wholeNumber.pipe(z.number().int().min(1).max(MAX_HISTORY_LIMIT)).optional())
    .transform((limit) => limit ?? DEFAULT_HISTORY_LIMIT),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;
