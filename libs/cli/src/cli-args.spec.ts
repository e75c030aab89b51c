import { DEFAULT_SERVER, parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('takes a username, an optional room, the server and --password', () => {
    expect(parseCliArgs(['alice'], {})).toEqual({ username: 'alice', room: undefined, server: DEFAULT_SERVER, password: false });
    expect(parseCliArgs(['alice', 'general', '--server', 'http://h:1', '--password'], {})).toEqual({
      username: 'alice',
      room: 'general',
      server: 'http://h:1',
      password: true,
    });
    expect(parseCliArgs(['--server=https://chat.example', 'bob'], {}).server).toBe('https://chat.example');
  });

  it('takes the server from CHAT_SERVER unless --server says otherwise', () => {
    expect(parseCliArgs(['alice'], { CHAT_SERVER: 'http://env:2' }).server).toBe('http://env:2');
    expect(parseCliArgs(['alice', '--server', 'http://flag:3'], { CHAT_SERVER: 'http://env:2' }).server).toBe('http://flag:3');
  });

  it.each([
    [[], /a username is needed/],
    [['a', 'b', 'c'], /too many arguments: c/],
    [['alice', '--verbose'], /unknown option --verbose/],
    [['alice', '--server'], /--server needs a URL/],
    [['alice', '--server', 'ftp://x'], /http\(s\) URL/],
    [['alice', '--server', 'not a url'], /http\(s\) URL/],
  ])('refuses %j, saying why and how to use it', (argv, why) => {
    expect(() => parseCliArgs(argv as string[], {})).toThrow(why);
    expect(() => parseCliArgs(argv as string[], {})).toThrow(/usage: npm run cli/);
  });
});
