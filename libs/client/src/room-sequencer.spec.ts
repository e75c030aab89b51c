import type { Message } from '../../protocol/src/wire';
import { messageFixture } from '../../../test/support/message-fixture';
import { RoomSequencer } from './room-sequencer';

const msg = (seq: number, roomId = 'r1'): Message => messageFixture(seq, { roomId });
const seqs = (r: { deliver: Message[] }) => r.deliver.map((m) => m.seq);

describe('RoomSequencer', () => {
  it('delivers a followed room in order, each seq once', () => {
    const s = new RoomSequencer();
    s.release('r1', 2);
    expect(seqs(s.accept(msg(2)))).toEqual([]);
    expect(seqs(s.accept(msg(3)))).toEqual([3]);
    expect(seqs(s.accept(msg(3)))).toEqual([]);
    expect(seqs(s.accept(msg(4)))).toEqual([4]);
    expect(s.positions()).toEqual({ r1: 4 });
  });

  it('holds messages that come early and names the gap before them', () => {
    const s = new RoomSequencer();
    s.release('r1', 1);
    expect(s.accept(msg(4))).toEqual({ deliver: [], gapBefore: 4 });
    expect(s.accept(msg(3))).toEqual({ deliver: [], gapBefore: 3 });
    expect(seqs(s.accept(msg(2)))).toEqual([2, 3, 4]);
  });

  it('while syncing collects everything, then delivers in order on settle', () => {
    const s = new RoomSequencer();
    s.release('r1', 5);
    s.sync(['r1']);
    for (const seq of [9, 6, 7, 6, 8]) expect(seqs(s.accept(msg(seq)))).toEqual([]);
    expect(seqs(s.settle('r1'))).toEqual([6, 7, 8, 9]);
  });

  it('reports a truncated resume as a gap on settle', () => {
    const s = new RoomSequencer();
    s.release('r1', 5);
    s.sync(['r1']);
    s.accept(msg(700));
    s.accept(msg(701));
    expect(s.settle('r1')).toEqual({ deliver: [], gapBefore: 700 });
  });

  it('holds a room being joined until its snapshot is known, then delivers only what follows', () => {
    const s = new RoomSequencer();
    s.hold('r1');
    expect(s.positions()).toEqual({});
    expect(seqs(s.accept(msg(11)))).toEqual([]);
    expect(seqs(s.accept(msg(10)))).toEqual([]);
    expect(seqs(s.release('r1', 10))).toEqual([11]);
  });

  it('forgets a failed join, but not a room it followed before', () => {
    const s = new RoomSequencer();
    s.hold('r1');
    s.cancelHold('r1');
    expect(s.has('r1')).toBe(false);
    s.release('r2', 3);
    s.hold('r2');
    s.cancelHold('r2');
    expect(s.positions()).toEqual({ r2: 3 });
  });

  it('starts a room it never heard of right before its first message', () => {
    const s = new RoomSequencer();
    expect(seqs(s.accept(msg(41, 'r9')))).toEqual([41]);
    expect(s.positions()).toEqual({ r9: 41 });
  });

  it('drops what waited when the connection is lost (the next resume brings it again)', () => {
    const s = new RoomSequencer();
    s.release('r1', 1);
    s.accept(msg(3));
    s.reset();
    expect(seqs(s.accept(msg(2)))).toEqual([2]);
  });

  it('never moves a baseline back', () => {
    const s = new RoomSequencer();
    s.release('r1', 8);
    s.release('r1', 3);
    expect(s.positions()).toEqual({ r1: 8 });
  });
});
