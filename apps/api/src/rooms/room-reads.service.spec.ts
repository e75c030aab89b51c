import { ErrorCode, Room } from '@chat/protocol';
import { RoomReads } from './room-reads.service';
import { codeOf } from '../../../../test/support/fakes';

const room: Room = {
  id: 'r1',
  name: 'general',
  topic: '',
  kind: 'public',
  createdBy: 'u1',
  createdAt: '2024-01-01T00:00:00.000Z',
  lastSeq: 0,
  memberCount: 1,
};

function reads() {
  const history = jest.fn(async () => ({ messages: [], hasMore: false }));
  const service = new RoomReads(
    {
      listFor: async () => [],
      findById: async (id: string) => (id === room.id ? room : undefined),
      isMember: async (roomId: string, userId: string) => roomId === room.id && userId === 'u1',
    },
    { history },
  );
  return { service, history };
}

describe('RoomReads.history', () => {
  it('reads the page a member asked for', async () => {
    const { service, history } = reads();
    await expect(service.history('u1', 'r1', { beforeSeq: 10, limit: 5 })).resolves.toEqual({ messages: [], hasMore: false });
    expect(history).toHaveBeenCalledWith('r1', 10, 5);
  });

  it('is NOT_FOUND for an unknown room and FORBIDDEN for a non-member, before reading anything', async () => {
    const { service, history } = reads();
    expect(await codeOf(service.history('u1', 'nope', { limit: 50 }))).toBe(ErrorCode.NOT_FOUND);
    expect(await codeOf(service.history('u2', 'r1', { limit: 50 }))).toBe(ErrorCode.FORBIDDEN);
    expect(history).not.toHaveBeenCalled();
  });
});
