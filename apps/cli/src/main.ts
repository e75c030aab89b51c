import { ChatClient, ChatHttpApi } from '@chat/client';
import { CliArgs, enterRoom, Output, parseCliArgs, reportingErrors, runLine, signIn, TerminalChat } from '@chat/cli';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { readHidden } from './hidden-input';

/**
 * `npm run cli -- <username> [room] [--server URL] [--password]`: the terminal chat. Reads
 * lines from stdin (commands or messages, one at a time, in order) and writes one line per
 * event to stdout — coloured on a terminal, plain in a pipe, so it can be scripted.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const out = new Output((text) => process.stdout.write(text), process.stdout.isTTY === true);
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    return await chat(args, out, input[Symbol.asyncIterator]());
  } finally {
    input.close();
  }
}

async function chat(args: CliArgs, out: Output, lines: AsyncIterator<string>): Promise<number> {
  const api = new ChatHttpApi(args.server);
  let password: string | undefined;
  if (args.password) {
    password = process.stdin.isTTY ? await readHidden('password: ', process.stdin, process.stdout) : (await lines.next()).value;
    if (!password) return fail(out, 'no password given');
  }
  let client: ChatClient;
  try {
    const auth = await signIn(api, args.username, password);
    const { wsUrl } = await api.config();
    client = new ChatClient({ url: wsUrl, getToken: auth.getToken, WebSocket });
  } catch (err) {
    return fail(out, `cannot sign in at ${args.server}: ${(err as Error).message}`);
  }
  const terminal = new TerminalChat(client, out);
  let quitting = false;
  const closedForGood = new Promise<number>((resolve) =>
    client.on('closed', ({ code, reason }) => {
      if (!quitting) out.line('error', `* the server closed the connection for good (${code} ${reason})`);
      resolve(quitting ? 0 : 1);
    }),
  );

  try {
    await client.connect();
  } catch (err) {
    return fail(out, `cannot connect: ${(err as Error).message}`);
  }
  const room = args.room;
  if (room) await reportingErrors(terminal, () => enterRoom(terminal, room));
  const talk = (async () => {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      if ((await runLine(terminal, next.value)) === 'quit') break;
    }
  })();
  const code = await Promise.race([talk.then(() => 0), closedForGood]);
  quitting = true;
  client.close();
  return code;
}

function fail(out: Output, message: string): number {
  out.line('error', `! ${message}`);
  return 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
