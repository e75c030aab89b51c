import { ClientSocket, ConnectionData } from './client-socket';
import { ConnectionRegistry } from './connection-registry';

function socket(id: string): ClientSocket {
  const data: ConnectionData = { id, openedAt: 0, ready: true, closed: false, rooms: [] };
  return {
    getUserData: () => data,
    send: () => 1,
    subscribe: () => true,
    unsubscribe: () => true,
    end: () => undefined,
  };
}

describe('ConnectionRegistry', () => {
  let registry: ConnectionRegistry;

  beforeEach(() => {
    registry = new ConnectionRegistry();
  });

  it('starts empty', () => {
    expect(registry.size).toBe(0);
    expect(registry.get('c1')).toBeUndefined();
    expect(registry.ofUser('u1')).toEqual([]);
    expect([...registry.all()]).toEqual([]);
  });

  it('finds a socket by connection id and by user', () => {
    const s = socket('c1');
    expect(registry.add(s, 'u1')).toBe(true);
    expect(registry.size).toBe(1);
    expect(registry.get('c1')).toBe(s);
    expect(registry.get('c2')).toBeUndefined();
    expect(registry.ofUser('u1')).toEqual([s]);
    expect(registry.ofUser('u2')).toEqual([]);
    expect([...registry.all()]).toEqual([s]);
  });

  it('keeps every device of a user; only the first add is flagged first', () => {
    const phone = socket('c1');
    const laptop = socket('c2');
    const tablet = socket('c3');
    expect(registry.add(phone, 'u1')).toBe(true);
    expect(registry.add(laptop, 'u1')).toBe(false);
    expect(registry.add(tablet, 'u1')).toBe(false);
    expect(registry.ofUser('u1')).toEqual([phone, laptop, tablet]);
    expect(registry.size).toBe(3);
    expect(registry.get('c2')).toBe(laptop);
  });

  it('keeps users apart', () => {
    const a = socket('c1');
    const b = socket('c2');
    expect(registry.add(a, 'u1')).toBe(true);
    expect(registry.add(b, 'u2')).toBe(true);
    expect(registry.ofUser('u1')).toEqual([a]);
    expect(registry.ofUser('u2')).toEqual([b]);
  });

  it('flags only the removal of the last socket as last', () => {
    const phone = socket('c1');
    const laptop = socket('c2');
    const tablet = socket('c3');
    registry.add(phone, 'u1');
    registry.add(laptop, 'u1');
    registry.add(tablet, 'u1');

    expect(registry.remove(laptop, 'u1')).toBe(false);
    expect(registry.ofUser('u1')).toEqual([phone, tablet]);
    expect(registry.get('c2')).toBeUndefined();
    expect(registry.size).toBe(2);

    expect(registry.remove(phone, 'u1')).toBe(false);
    expect(registry.ofUser('u1')).toEqual([tablet]);

    expect(registry.remove(tablet, 'u1')).toBe(true);
    expect(registry.ofUser('u1')).toEqual([]);
    expect(registry.size).toBe(0);
  });

  it('a single socket removed is the last one', () => {
    const s = socket('c1');
    registry.add(s, 'u1');
    expect(registry.remove(s, 'u1')).toBe(true);
    expect(registry.get('c1')).toBeUndefined();
    expect(registry.ofUser('u1')).toEqual([]);
  });

  it('the user can connect again after the last socket left (first again)', () => {
    const s = socket('c1');
    registry.add(s, 'u1');
    registry.remove(s, 'u1');
    expect(registry.add(socket('c2'), 'u1')).toBe(true);
  });

  it('removing a socket the user does not own leaves the user alone', () => {
    const mine = socket('c1');
    const stranger = socket('c9');
    registry.add(mine, 'u1');
    expect(registry.remove(stranger, 'u1')).toBe(false);
    expect(registry.ofUser('u1')).toEqual([mine]);
    expect(registry.remove(stranger, 'u-unknown')).toBe(false);
    expect(registry.get('c1')).toBe(mine);
  });

  it('hands a second device the User object the first one holds, if it says the same', () => {
    const first = socket('c1');
    const held = { id: 'u1', username: 'ann' };
    first.getUserData().user = held;
    registry.add(first, 'u1');
    expect(registry.sharedUser({ id: 'u1', username: 'ann' })).toBe(held);
    const renamed = { id: 'u1', username: 'anne' };
    expect(registry.sharedUser(renamed)).toBe(renamed);
    const other = { id: 'u2', username: 'bob' };
    expect(registry.sharedUser(other)).toBe(other);
  });
});
