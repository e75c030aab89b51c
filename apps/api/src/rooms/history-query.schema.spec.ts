import { HistoryQuery } from './history-query.schema';

describe('HistoryQuery', () => {
  it('defaults limit to 50 and leaves beforeSeq out', () => {
    expect(HistoryQuery.parse({})).toEqual({ limit: 50 });
    expect(HistoryQuery.parse({ beforeSeq: '', limit: '' })).toEqual({ limit: 50 });
  });

  it('reads whole numbers from the query string', () => {
    expect(HistoryQuery.parse({ beforeSeq: '41', limit: '100' })).toEqual({ beforeSeq: 41, limit: 100 });
    expect(HistoryQuery.parse({ limit: '1' })).toEqual({ limit: 1 });
    // The largest PostgreSQL integer is a seq; one more could never be.
    expect(HistoryQuery.parse({ beforeSeq: '2147483647' })).toEqual({ beforeSeq: 2147483647, limit: 50 });
  });

  it.each([
    { limit: '0' },
    { limit: '101' },
    { limit: '-1' },
    { limit: '1.5' },
    { limit: '1e2' },
    { limit: 'ten' },
    { limit: ['1', '2'] },
    { beforeSeq: '0' },
    { beforeSeq: '9999999999' },
    { beforeSeq: '2147483648' },
    { beforeSeq: '12345678901' },
    { beforeSeq: '1\u0000' },
    { beforeSeq: ' 3' },
  ])('rejects %p', (query) => {
    expect(HistoryQuery.safeParse(query).success).toBe(false);
  });
});
