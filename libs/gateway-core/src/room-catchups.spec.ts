import { FakeSocket } from '../../../test/support/fakes';
import { RoomCatchups } from './room-catchups';

describe('RoomCatchups', () => {
  let catchups: RoomCatchups;
  let live: string[];
  beforeEach(() => {
    live = [];
    catchups = new RoomCatchups((socket, roomId) => live.push(`${socket.getUserData().id} ${roomId}`));
  });

  it('holds live events only for sockets catching up on that room, and sends those past the replay', () => {
    const a = new FakeSocket('c1');
    const b = new FakeSocket('c2');
    catchups.begin(a, 'r1');
    catchups.begin(b, 'r2');
    catchups.hold('r1', 5, 'e5');
    catchups.hold('r1', undefined, 'no-seq');
    catchups.hold('r1', 6, 'e6');
    catchups.hold('r2', 1, 'other-room');
    expect(a.sent).toEqual([]);
    expect(catchups.finish(a, 'r1', 5)).toBe(true);
    expect(a.sent).toEqual(['no-seq', 'e6']);
    expect(live).toEqual(['c1 r1']);
    expect(catchups.finish(a, 'r1', 5)).toBe(false);
    expect(catchups.size).toBe(1);
  });

  it('cancel forgets without sending; a closed socket gets nothing at finish', () => {
    const a = new FakeSocket('c1');
    catchups.begin(a, 'r1');
    catchups.hold('r1', 1, 'e1');
    catchups.cancel(a, 'r1');
    expect(catchups.finish(a, 'r1', 0)).toBe(false);
    const b = new FakeSocket('c2');
    catchups.begin(b, 'r1');
    catchups.hold('r1', 2, 'e2');
    b.data.closed = true;
    expect(catchups.finish(b, 'r1', 0)).toBe(true);
    expect([...a.sent, ...b.sent]).toEqual([]);
    expect(live).toEqual([]);
    expect(catchups.size).toBe(0);
  });

  it('ends catch-ups older than the deadline with what they held', () => {
    const a = new FakeSocket('c1');
    catchups.begin(a, 'r1');
    catchups.hold('r1', 3, 'e3');
    expect(catchups.expire(1000, Date.now())).toBe(0);
    expect(catchups.expire(1000, Date.now() + 1001)).toBe(1);
    expect(a.sent).toEqual(['e3']);
    expect(live).toEqual(['c1 r1']);
  });

  it('lets a socket holding too much go live with everything it held', () => {
    const a = new FakeSocket('c1');
    catchups.begin(a, 'r1');
    for (let seq = 1; seq <= 1001; seq++) catchups.hold('r1', seq, `e${seq}`);
    expect(a.sent).toHaveLength(1001);
    expect(live).toEqual(['c1 r1']);
    expect(catchups.isCatchingUp(a, 'r1')).toBe(false);
  });
});
