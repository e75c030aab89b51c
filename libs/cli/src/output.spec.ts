import { Output } from './output';

describe('Output', () => {
  const capture = (isTerminal: boolean) => {
    const written: string[] = [];
    return { out: new Output((t) => written.push(t), isTerminal), written };
  };

  it('writes plain lines, with no escape code, into a pipe', () => {
    const { out, written } = capture(false);
    out.line('error', '! oops');
    out.line('mine', '[1] 10:00 me: hi');
    out.clear();
    expect(written).toEqual(['! oops\n', '[1] 10:00 me: hi\n']);
  });

  it('colours lines and clears the screen on a terminal', () => {
    const { out, written } = capture(true);
    out.line('error', '! oops');
    out.line('message', 'plain');
    out.clear();
    expect(written).toEqual(['\x1b[31m! oops\x1b[0m\n', 'plain\n', '\x1b[2J\x1b[H']);
  });
});
