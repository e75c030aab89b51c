/** What `npm run cli -- <username> [room] [--server URL] [--password]` asked for. */
export interface CliArgs {
  username: string;
  room?: string;
  server: string;
  /** Sign in to a registered account (the password is asked for) instead of as a guest. */
  password: boolean;
}

export const USAGE = 'usage: npm run cli -- <username> [room] [--server http://host:port] [--password]';
export const DEFAULT_SERVER = 'http://localhost:3000';

/** Parses the command line; throws an Error whose message says what is wrong (and the usage). */
export function parseCliArgs(argv: string[], env: Record<string, string | undefined>): CliArgs {
  const positional: string[] = [];
  let server = env.CHAT_SERVER || DEFAULT_SERVER;
  let password = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--server') {
      const value = argv[++i];
      if (!value) throw new Error(`--server needs a URL\n${USAGE}`);
      server = value;
    } else if (arg.startsWith('--server=')) server = arg.slice('--server='.length);
    else if (arg === '--password') password = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length === 0) throw new Error(`a username is needed\n${USAGE}`);
  if (positional.length > 2) throw new Error(`too many arguments: ${positional.slice(2).join(' ')}\n${USAGE}`);
  try {
    const url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new Error(`the server must be an http(s) URL, got "${server}"\n${USAGE}`);
  }
  return { username: positional[0], room: positional[1], server, password };
}
