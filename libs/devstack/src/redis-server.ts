import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';

/** A private, throwaway redis-server (a test file's, or `npm start`'s when none runs). */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The redis-server process, for resource readings (benchmarks). */
  pid: number;
  /** Graceful stop: SHUTDOWN NOSAVE (SIGTERM if that fails), resolves once the process exited. Idempotent. */
  stop(): Promise<void>;
  /** Crash it: SIGKILL, no waiting (simulates Redis dying). Await `stop()` afterwards to reap it. */
  kill(): void;
}

export interface StartRedisOptions {
  /** Readiness probes before giving up (default 200, 25 ms apart: ~5 s). */
  maxAttempts?: number;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  extraArgs?: string[];
  /** A fixed port (no retry on another one); default: a free port. */
  port?: number;
}

/** Binary to run; `REDIS_SERVER_BIN` overrides the one on PATH. */
const REDIS_BIN = process.env.REDIS_SERVER_BIN || 'redis-server';
const PROBE_INTERVAL_MS = 25;
/** How often to retry on another port when the one we picked was taken meanwhile. */
const PORT_RETRIES = 3;

/**
 * Sends one inline command over a raw socket and returns the reply: the line of a simple
 * reply or error (`+PONG` → `PONG`, `-ERR …` → `-ERR …`), the payload of a bulk reply, or
 * undefined when nothing answers. No client library, so these helpers keep working whatever
 * state libs/redis is in.
 */
function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    let settled = false;
    const done = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const nl = buffer.indexOf('\r\n');
      if (nl < 0) return;
      const head = buffer.slice(0, nl);
      if (head.startsWith('+')) return done(head.slice(1));
      if (!head.startsWith('$')) return done(head);
      const length = Number(head.slice(1));
      if (length < 0) return done('');
      if (buffer.length >= nl + 2 + length) done(buffer.slice(nl + 2, nl + 2 + length));
    });
    // SHUTDOWN closes the connection without a reply on success.
    socket.once('close', () => done(undefined));
  });
}

/** The pid of the server answering on `port` (INFO server), to be sure it is the one we spawned. */
async function serverPid(port: number): Promise<number | undefined> {
  const info = await rawCommand(port, 'INFO server');
  const match = info && /process_id:(\d+)/.exec(info);
  return match ? Number(match[1]) : undefined;
}

/**
 * Spawns a private `redis-server` on a free port of 127.0.0.1, without persistence
 * (`--save "" --appendonly no`), and resolves once it answers PING. Readiness is polled a
 * bounded number of times; if the process exits first (port taken meanwhile) another port is
 * tried. The process is killed when the test process exits, in case a test forgets `stop()`.
 *
 * @example
 *   let redis: RedisServerHandle;
 *   beforeAll(async () => { redis = await startRedisServer(); });
 *   afterAll(() => redis.stop());
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  if (options.port !== undefined) return startOn(options.port, options);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_RETRIES; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, options);
    } catch (err) {
      lastError = err as Error;
      if (!(err instanceof PortTakenError)) throw err;
    }
  }
  throw lastError ?? new Error('startRedisServer: could not start');
}

class PortTakenError extends Error {}

async function startOn(port: number, { maxAttempts = 200, extraArgs = [] }: StartRedisOptions): Promise<RedisServerHandle> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extraArgs];
  // Its own process group: a Ctrl-C at the terminal (SIGINT to the foreground group) must reach
  // the app that owns this server first, so the app can shut down in order and stop it last —
  // not kill Redis under an app that then retries it forever.
  const child: ChildProcess = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });

  // Keep the tail of the output for error messages.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exited = false;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      // e.g. ENOENT: the binary is missing. 'exit' may never come.
      spawnError = err;
      exited = true;
      resolve();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (!exited) {
        // SHUTDOWN only the server we spawned (never whoever else may answer on the port);
        // SIGTERM (also a clean shutdown for Redis) when it is not answering or refuses.
        const ours = (await serverPid(port)) === child.pid;
        const reply = ours ? await rawCommand(port, 'SHUTDOWN NOSAVE', 2000) : 'not ours';
        if (reply !== undefined && !exited) child.kill('SIGTERM');
        // Bounded wait for the exit; a wedged server gets SIGKILL.
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (exited) break;
    if ((await rawCommand(port, 'PING')) === 'PONG') {
      // Someone else's server could hold the port while ours failed to bind: check the pid.
      if ((await serverPid(port)) === child.pid) return handle;
      if (exited) break;
    }
    await sleep(PROBE_INTERVAL_MS);
  }

  await handle.stop();
  if (spawnError) throw new Error(`startRedisServer: cannot run ${REDIS_BIN}: ${spawnError.message}`);
  const message = `redis-server on port ${port} ${exited ? 'exited' : `did not answer PING after ${maxAttempts} attempts`}:\n${output}`;
  if (/address already in use/i.test(output)) throw new PortTakenError(message);
  throw new Error(message);
}
