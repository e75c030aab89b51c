import { pushJobId } from './push-jobs';

describe('pushJobId', () => {
  it('is one id per (message, user), without the colons BullMQ refuses', () => {
    expect(pushJobId('room1:42', 'u7')).toBe('room1/42/u7');
    expect(pushJobId('room1:42', 'u7')).toBe(pushJobId('room1:42', 'u7'));
    expect(pushJobId('room1:42', 'u8')).not.toBe(pushJobId('room1:42', 'u7'));
  });
});
