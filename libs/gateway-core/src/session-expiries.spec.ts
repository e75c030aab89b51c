import { FakeSocket } from '../../../test/support/fakes';
import { SessionExpiries } from './session-expiries';

describe('SessionExpiries', () => {
  const T = 1_700_000_000;

  it('hands out each socket once, in the sweep of the second its token expires', () => {
    const expiries = new SessionExpiries(T);
    const a = new FakeSocket('a');
    const b = new FakeSocket('b');
    const c = new FakeSocket('c');
    expiries.add(a, T + 1);
    expiries.add(b, T + 1);
    expiries.add(c, T + 3);
    expect(expiries.due(T)).toEqual([]);
    expect(expiries.due(T + 1)).toEqual([a, b]);
    expect(expiries.due(T + 2)).toEqual([]);
    expect(expiries.due(T + 5)).toEqual([c]); // a late sweep catches up on the seconds it missed
    expect(expiries.size).toBe(0);
  });

  it('forgets removed sockets, and moves a refreshed one to its new second', () => {
    const expiries = new SessionExpiries(T);
    const a = new FakeSocket('a');
    const b = new FakeSocket('b');
    expiries.add(a, T + 1);
    expiries.add(b, T + 1);
    expiries.remove(a, T + 1);
    expiries.remove(b, T + 1);
    expect(expiries.size).toBe(0);
    expiries.add(a, T + 1);
    expiries.remove(a, T + 1);
    expiries.add(a, T + 60);
    expect(expiries.due(T + 59)).toEqual([]);
    expect(expiries.due(T + 60)).toEqual([a]);
  });

  it('puts a socket whose second was already swept into the next sweep', () => {
    const expiries = new SessionExpiries(T);
    expiries.due(T + 10);
    const a = new FakeSocket('a');
    expiries.add(a, T + 5);
    expect(expiries.due(T + 11)).toEqual([a]);
  });
});
