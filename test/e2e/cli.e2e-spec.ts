import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { CliProcess } from '../support/cli-process';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/** The terminal chat driven through stdin/stdout, against the whole stack. */
describe('the terminal chat (apps/cli)', () => {
  let stack: ChatStack;
  const running: CliProcess[] = [];
  const sockets: WsClient[] = [];

  const cli = (...args: string[]) => {
    const p = new CliProcess([...args, '--server', stack.apiUrl]);
    running.push(p);
    return p;
  };

  beforeAll(async () => {
    stack = await startChatStack('cli', { gateways: 1, search: 1 });
  });
  afterAll(async () => {
    for (const p of running) p.kill();
    for (const s of sockets) await s.close();
    await stack?.teardown();
  });

  it('lets two people chat with every command, in plain lines', async () => {
    const [a, b] = [uniqueName('clia'), uniqueName('clib')];
    const room = uniqueName('general');
    const alice = cli(a, room);
    await alice.line(new RegExp(`^\\* now in #${room} `));
    const bob = cli(b, room);
    await bob.line(new RegExp(`^\\* now in #${room} `));
    await alice.line(new RegExp(`^\\* ${b} joined$`));

    // Messages, replies, reactions, edits, deletes.
    alice.say('hello bob, look: a giraffe');
    await bob.line(new RegExp(`^\\[1\\] \\d\\d:\\d\\d ${a}: hello bob, look: a giraffe$`));
    bob.say('/reply 1 hi alice');
    await alice.line(new RegExp(`^\\[2\\] \\d\\d:\\d\\d ${b} ↪ \\[1\\]: hi alice$`));
    alice.say('/react 2 👍');
    await bob.line(/^\[2\] reaction 👍 1$/);
    bob.say('/edit 2 hi alice!');
    await alice.line(new RegExp(`^\\[2\\] \\d\\d:\\d\\d ${b} ↪ \\[1\\]: hi alice! \\(edited\\) \\{👍 1\\}$`));
    alice.say('short-lived');
    await bob.line(/^\[3\] .*: short-lived$/);
    alice.say('/delete 3');
    await bob.line(new RegExp(`^\\[3\\] deleted by ${a}$`));
    await bob.ask('/history 3', /^\[3\] \d\d:\d\d \S+: \(deleted\)$/);
    expect(bob.lines.slice(-3)).toEqual([
      expect.stringMatching(/^\[1\] .*: hello bob, look: a giraffe$/),
      expect.stringMatching(/^\[2\] .* ↪ \[1\]: hi alice! \(edited\) \{👍 1\}$/),
      expect.stringMatching(/^\[3\] .*: \(deleted\)$/),
    ]);

    // Members, presence, typing.
    await alice.ask('/users', new RegExp(`^  ${b} \\(member\\) online$`));
    expect(alice.lines).toContainEqual(`  ${a} (owner) online`);
    await alice.ask('/away', /^\* you are away$/);
    await bob.line(new RegExp(`^\\* ${a} is away$`));
    await alice.ask('/dnd', /^\* you are dnd$/);
    await bob.line(new RegExp(`^\\* ${a} is dnd$`));
    await alice.ask('/online', /^\* you are online$/);
    await alice.ask('/notify mentions', new RegExp(`^\\* notifications for #${room}: mentions$`));
    await alice.ask('/notify loud', /^! usage: \/notify all\|mentions\|none$/);
    const carol = await guest(stack.apiUrl, uniqueName('clic'));
    const typist = await WsClient.connect(stack.gatewayUrls[0], carol.token);
    sockets.push(typist);
    const { rooms } = await typist.call('room.list');
    await typist.call('room.join', { roomId: rooms.find((r: { name: string }) => r.name === room).id });
    await typist.call('typing.start', { roomId: rooms.find((r: { name: string }) => r.name === room).id });
    await alice.line(new RegExp(`^\\* ${carol.user.username} is typing…$`));

    // Rooms, invites, DMs, leaving.
    await alice.ask('/rooms', new RegExp(`^\\* #${room} \\(\\w+\\) public, 3 members, \\d+ unread$`));
    await alice.ask('/create side a topic here', /^\* now in #side \(\w+\) — a topic here$/);
    await alice.ask(`/invite ${b}`, new RegExp(`^\\* invited ${b} to #side$`));
    await bob.line(new RegExp(`^\\* ${a} invited you to #side \\(\\w+\\)$`));
    await alice.ask(`/dm ${b.toUpperCase()}`, new RegExp(`^\\* now in #${[a, b].sort().join(', ')} `));
    alice.say('psst');
    await bob.line(new RegExp(`^\\(${[a, b].sort().join(', ')}\\) \\[1\\] \\d\\d:\\d\\d ${a}: psst$`));
    const sideId = /#side \((\w+)\)/.exec(bob.lines.find((l) => l.includes('invited you to #side'))!)![1];
    await bob.ask(`/join ${sideId}`, /^\* now in #side /);
    await bob.ask('/leave', /^\* you left #side$/);
    await bob.ask('hello?', /^! you are in no room/);
    await bob.ask(`/join #${room.toUpperCase()}`, new RegExp(`^\\* now in #${room} `)); // by name, any case

    // Search (the index follows the chat a moment later).
    await waitFor(() => bob.ask('/search giraffe', /^(\(.*\) \[1\] \d\d:\d\d \S+: .*«giraffe».*|\* nothing found)$/).then((l) => !l.startsWith('*')), {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: 'the search index to find the giraffe',
    });

    // Help, clear, mistakes.
    await bob.ask('/help', /^\/react <seq> <emoji>\s+react to a message$/);
    await bob.ask('/nope', /^! unknown command \/nope: \/help lists them$/);
    await alice.ask('/react x', /^! usage: \/react <seq> <emoji>$/);
    await alice.ask('/react 99 👍', /^! #.* has no message \[99\]$/);
    await alice.ask('/dm nobody-here', /^! NOT_FOUND: no user named "nobody-here"$/);
    await alice.ask('/dm x', /^! BAD_REQUEST: bad data for user.lookup: username: /);
    await alice.ask('/history 0', /^! usage: \/history \[n\]/);
    bob.say('/clear');
    alice.say('/quit');
    bob.say('/exit');
    expect(await alice.exited).toBe(0);
    expect(await bob.exited).toBe(0);
    for (const line of [...alice.lines, ...bob.lines]) expect(line).not.toMatch(/\x1b/);
  });

  it('signs in to a registered account with --password, and refuses a wrong one', async () => {
    const name = uniqueName('clip');
    const res = await fetch(`${stack.apiUrl}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, password: 'correct horse' }),
    });
    expect(res.status).toBe(200);
    const wrong = cli(name, '--password');
    wrong.say('battery staple');
    await wrong.line(/^! cannot sign in at .*: POST \/api\/auth\/login: /);
    expect(await wrong.exited).toBe(1);
    const right = cli(name, '--password');
    right.say('correct horse');
    await right.line(new RegExp(`^\\* connected as ${name}$`));
    expect(await right.end()).toBe(0);
  });

  it('explains a bad command line', async () => {
    const bad = new CliProcess(['--server', 'nowhere']);
    expect(await bad.exited).toBe(2);
  });

  it('loses nothing when its gateway restarts mid-chat', async () => {
    const [a, b] = [uniqueName('clra'), uniqueName('clrb')];
    const room = uniqueName('restart');
    const alice = cli(a, room);
    await alice.line(/^\* now in #/);
    const bob = cli(b, room);
    await bob.line(/^\* now in #/);
    for (let i = 1; i <= 20; i++) alice.say(`line ${i}`);
    await bob.line(/^\[5\] /);
    const gateway = stack.processes.find((p) => stack.gatewayUrls[0].includes(`:${p.port}/`) && p.child.exitCode === null)!;
    gateway.kill('SIGKILL');
    await gateway.exited;
    for (let i = 21; i <= 40; i++) alice.say(`line ${i}`);
    await stack.add('gateway', {}, gateway.port);
    await alice.line(/^\* reconnected$/, { timeoutMs: 40_000 });
    for (const p of [alice, bob]) {
      await p.line(/^\[40\] /, { timeoutMs: 40_000 });
      expect(p.messages().map((m) => m.text)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
      expect(p.messages().map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
    expect(bob.lines).toContainEqual(expect.stringMatching(/^\* connection lost \(1006\)/));
    alice.say('/quit');
    bob.say('/quit');
    expect(await alice.exited).toBe(0);
    expect(await bob.exited).toBe(0);
  });
});
