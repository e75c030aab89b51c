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

const privateRoom: Room = { ...room, id: 'r2', kind: 'private' };

function reads() {
  const history = jest.fn(async () => ({ messages: [], hasMore: false }));
  const members = jest.fn(async () => [{ id: 'u1', username: 'alice', role: 'owner' as const, presence: 'online' as const }]);
  const service = new RoomReads(
    {
      listFor: async () => [],
      findById: async (id: string) => [room, privateRoom].find((r) => r.id === id),
      isMember: async (roomId: string, userId: string) => userId === 'u1' && (roomId === room.id || roomId === privateRoom.id),
    },
    { history },
    { of: members },
  );
  return { service, history, members };
}

describe('RoomReads.room', () => {
  it('shows a public room to anyone and a private one to its members only: NOT_FOUND for others, as for an unknown id', async () => {
    const { service } = reads();
    await expect(service.room('u2', 'r1')).resolves.toEqual(room);
    await expect(service.room('u1', 'r2')).resolves.toEqual(privateRoom);
    expect(await codeOf(service.room('u2', 'r2'))).toBe(ErrorCode.NOT_FOUND);
    expect(await codeOf(service.room('u1', 'nope'))).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('RoomReads.members', () => {
  it('lists the members for a member; NOT_FOUND and FORBIDDEN before reading anything', async () => {
    const { service, members } = reads();
    await expect(service.members('u1', 'r1')).resolves.toEqual([expect.objectContaining({ username: 'alice', presence: 'online' })]);
    expect(members).toHaveBeenCalledTimes(1);
    expect(await codeOf(service.members('u1', 'nope'))).toBe(ErrorCode.NOT_FOUND);
    expect(await codeOf(service.members('u2', 'r1'))).toBe(ErrorCode.FORBIDDEN);
    expect(members).toHaveBeenCalledTimes(1);
  });
});

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
