import { Room } from '@chat/protocol';
import { MemberState, RoomRepository } from '@chat/store';
import { MembershipCache } from './membership-cache';

function room(id: string): Room {
  return { id, name: id, topic: '', kind: 'public', createdBy: 'u1', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 0, memberCount: 1 };
}

const owner: MemberState = { role: 'owner', mutedUntil: null };
const member: MemberState = { role: 'member', mutedUntil: null };
const moderator: MemberState = { role: 'moderator', mutedUntil: null };

/** The two RoomRepository reads the cache uses, over an in-memory table. */
class FakeRooms {
  readonly rooms = new Map<string, Map<string, MemberState>>();
  readonly findById = jest.fn(async (id: string) => (this.rooms.has(id) ? room(id) : undefined));
  readonly memberStates = jest.fn(
    async (id: string) => new Map([...(this.rooms.get(id) ?? new Map<string, MemberState>())].map(([u, s]) => [u, { ...s }])),
  );
}

describe('MembershipCache', () => {
  let repo: FakeRooms;
  let cache: MembershipCache;

  beforeEach(() => {
    repo = new FakeRooms();
    repo.rooms.set('r1', new Map([['u1', owner], ['u2', member]]));
    repo.rooms.set('r2', new Map([['u3', moderator]]));
    cache = new MembershipCache(repo as unknown as RoomRepository);
  });

  it('loads a room’s members with role and mute from the repository', async () => {
    expect(await cache.members('r1')).toEqual(new Map([['u1', owner], ['u2', member]]));
    expect(repo.findById).toHaveBeenCalledWith('r1');
    expect(repo.memberStates).toHaveBeenCalledWith('r1');
  });

  it('serves later lookups from memory', async () => {
    await cache.members('r1');
    const again = await cache.members('r1');
    expect(again?.get('u2')).toEqual(member);
    expect(repo.findById).toHaveBeenCalledTimes(1);
    expect(repo.memberStates).toHaveBeenCalledTimes(1);
  });

  it('answers undefined for a room that does not exist, and does not cache the absence', async () => {
    expect(await cache.members('r-new')).toBeUndefined();
    expect(repo.memberStates).not.toHaveBeenCalled();

    repo.rooms.set('r-new', new Map([['u9', owner]])); // created through another shard
    expect(await cache.members('r-new')).toEqual(new Map([['u9', owner]]));
    expect(repo.findById).toHaveBeenCalledTimes(2);
  });

  it('joined and left keep a cached room exact without reloading', async () => {
    await cache.members('r1');
    cache.joined('r1', 'u5', 'member');
    cache.left('r1', 'u2');
    expect(await cache.members('r1')).toEqual(new Map([['u1', owner], ['u5', { role: 'member', mutedUntil: null }]]));
    expect(repo.memberStates).toHaveBeenCalledTimes(1);
  });

  it('update patches a cached member (role, mute)', async () => {
    await cache.members('r1');
    cache.update('r1', 'u2', { mutedUntil: 1234 });
    cache.update('r1', 'u2', { role: 'moderator' });
    expect((await cache.members('r1'))?.get('u2')).toEqual({ role: 'moderator', mutedUntil: 1234 });
  });

  it('update of someone not in the room adds nobody', async () => {
    await cache.members('r1');
    cache.update('r1', 'u-stranger', { role: 'owner' });
    expect((await cache.members('r1'))?.has('u-stranger')).toBe(false);
  });

  it('joined, left and update on an uncached room create nothing; the room is loaded fresh later', async () => {
    cache.joined('r2', 'u7', 'member');
    cache.left('r2', 'u3');
    cache.update('r2', 'u3', { role: 'member' });
    expect(repo.findById).not.toHaveBeenCalled();
    // What the repository says wins: the cache never invented an entry.
    expect(await cache.members('r2')).toEqual(new Map([['u3', moderator]]));
  });

  it('forget drops the rooms the predicate picks, and only those', async () => {
    await cache.members('r1');
    await cache.members('r2');
    cache.forget((roomId) => roomId === 'r1');
    repo.rooms.get('r1')!.set('u8', member);

    expect(await cache.members('r1')).toEqual(new Map([['u1', owner], ['u2', member], ['u8', member]]));
    expect(await cache.members('r2')).toEqual(new Map([['u3', moderator]]));
    expect(repo.memberStates.mock.calls.map(([id]) => id)).toEqual(['r1', 'r2', 'r1']);
  });

  it('propagates repository failures and caches nothing', async () => {
    const err = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    repo.memberStates.mockRejectedValueOnce(err);
    await expect(cache.members('r1')).rejects.toBe(err);
    expect(await cache.members('r1')).toEqual(new Map([['u1', owner], ['u2', member]]));
  });
});
