import { decodeRetryStatus, encodeRetryStatus } from './status-details';

describe('grpc-status-details-bin with RetryInfo', () => {
  it.each([0, 1, 999, 1000, 1500, 61_234, 3_600_000])('round-trips a delay of %i ms', (ms) => {
    expect(decodeRetryStatus(encodeRetryStatus(8, 'too many requests (connection limit)', ms))).toEqual({
      code: 8,
      message: 'too many requests (connection limit)',
      retryAfterMs: ms,
    });
  });

  it('encodes the documented wire bytes (Status.code 8, RetryInfo 1.5 s)', () => {
    const bytes = encodeRetryStatus(8, 'x', 1500);
    // code=8, message="x", details=Any{type_url, value=RetryInfo{retry_delay=Duration{seconds=1, nanos=500000000}}}
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0x08, 0x08, 0x12, 0x01, 0x78]));
    const tail = Buffer.from([0x0a, 0x08, 0x08, 0x01, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01]);
    expect(bytes.subarray(bytes.length - tail.length)).toEqual(tail);
  });

  it('reads a status without retry info', () => {
    const bytes = Buffer.from([0x08, 0x05, 0x12, 0x02, 0x6e, 0x6f]);
    expect(decodeRetryStatus(bytes)).toEqual({ code: 5, message: 'no' });
  });
});
