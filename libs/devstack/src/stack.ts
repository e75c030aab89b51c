import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port';

/**
 * Starts the apps as separate processes from the build (dist/), the way containers run
 * them, for end-to-end tests and benchmarks. Every process gets its own free port and logs
 * to a buffer that is printed when it dies unexpectedly.
 */
export interface StackOptions {
  redisUrl: string;
  /** PostgreSQL URL; absent: each process would open its own PGlite, so pass one for multi-process stacks. */
  databaseUrl?: string;
  gateways?: number;
  messages?: number;
  presence?: number;
  /** Search instances (none unless asked: most suites do not search). */
  search?: number;
  /** Push instances (none unless asked). */
  push?: number;
  /** gRPC door gateways (apps/grpc-gateway; none unless asked). */
  grpcGateways?: number;
  /** Webhooks instances (none unless asked). */
  webhooks?: number;
  env?: Record<string, string>;
}

export interface StackProcess {
  name: string;
  pid: number;
  port: number;
  /** A gRPC gateway's GRPC_PORT (its `port` is the HTTP side). */
  grpcPort?: number;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
  logs(): string;
}

export interface Stack {
  apiUrl: string;
  gatewayUrls: string[];
  /** `127.0.0.1:<GRPC_PORT>` of each gRPC gateway. */
  grpcAddresses: string[];
  processes: StackProcess[];
  /** Starts one more process of an app (e.g. a replacement messages instance, an api replica with other settings); `port` to restart one in place. */
  add(app: keyof typeof ENTRY, env?: Record<string, string>, port?: number): Promise<StackProcess>;
  /** The DATA_DIR every app of the stack shares (generated keys live there). */
  dataDir: string;
  stop(): Promise<void>;
}

/** The repository root, whether this runs from source (jest) or from dist/. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nest-cli.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const ENTRY = {
  api: 'dist/apps/api/src/main.js',
  gateway: 'dist/apps/gateway/src/main.js',
  messages: 'dist/apps/messages/src/main.js',
  presence: 'dist/apps/presence/src/main.js',
  search: 'dist/apps/search/src/main.js',
  push: 'dist/apps/push/src/main.js',
  'grpc-gateway': 'dist/apps/grpc-gateway/src/main.js',
  webhooks: 'dist/apps/webhooks/src/main.js',
} as const;
const PORT_VAR = {
  api: 'API_PORT',
  gateway: 'GATEWAY_PORT',
  messages: 'MESSAGES_PORT',
  presence: 'PRESENCE_PORT',
  search: 'SEARCH_PORT',
  push: 'PUSH_PORT',
  'grpc-gateway': 'GRPC_HTTP_PORT',
  webhooks: 'WEBHOOKS_PORT',
} as const;

const GENEROUS_AUTH_THROTTLES: Record<string, string> = {
  AUTH_LOGIN_FAILURES_PER_ACCOUNT: '1000000',
  AUTH_LOGIN_FAILURES_PER_ADDRESS: '1000000',
  AUTH_SIGNUPS_PER_ADDRESS: '1000000',
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const processes: StackProcess[] = [];
  let counter = 0;
  // One folder per stack, shared by its apps as a deployment shares a volume: the VAPID keys
  // one app generates there are the ones the others read.
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-stack-'));
  const baseEnv: Record<string, string> = {
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    REDIS_URL: options.redisUrl,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    // One random secret per stack, given to every app: the api signs and the gateways
    // verify with the same one (a committed value would be refused by the config).
    JWT_SECRET: randomBytes(48).toString('base64url'),
    // Tests and benchmarks log many users in from 127.0.0.1; tests of the throttles set their own.
    ...GENEROUS_AUTH_THROTTLES,
    // A stack stops as a whole (nowhere for clients to go): gateways close at once unless a test drains one.
    GATEWAY_DRAIN_MS: '0',
    ...options.env,
  };

  const launch = async (app: keyof typeof ENTRY, env: Record<string, string> = {}, fixedPort?: number): Promise<StackProcess> => {
    const port = fixedPort ?? (await freePort());
    const name = `${app}-${++counter}`;
    const grpcPort = app === 'grpc-gateway' ? Number(env.GRPC_PORT ?? (await freePort())) : undefined;
    const grpcEnv: Record<string, string> = grpcPort === undefined ? {} : { GRPC_PORT: String(grpcPort) };
    const child = spawn(process.execPath, [join(ROOT, ENTRY[app])], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...baseEnv, [PORT_VAR[app]]: String(port), GATEWAY_ID: name, ...grpcEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // If the caller never gets to stop() (a test runner giving up mid-start), the apps must
    // not outlive this process: they would keep running against a dead Redis forever.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        process.removeListener('exit', killOnExit);
        resolve(code);
      }),
    );
    const proc: StackProcess = {
      name,
      pid: child.pid!,
      port,
      grpcPort,
      child,
      exited,
      kill: (signal = 'SIGTERM') => child.kill(signal),
      logs: () => log,
    };
    processes.push(proc);
    await waitReady(proc);
    return proc;
  };

  try {
    // Gateway ports first, so the api's /api/config can name a real gateway.
    const gatewayPorts = await Promise.all(Array.from({ length: options.gateways ?? 2 }, () => freePort()));
    const api = await launch('api', gatewayPorts.length ? { PUBLIC_WS_URL: `ws://127.0.0.1:${gatewayPorts[0]}/ws` } : {});
    for (let i = 0; i < (options.messages ?? 1); i++) await launch('messages');
    for (let i = 0; i < (options.presence ?? 1); i++) await launch('presence');
    for (let i = 0; i < (options.search ?? 0); i++) await launch('search');
    for (let i = 0; i < (options.push ?? 0); i++) await launch('push');
    for (let i = 0; i < (options.webhooks ?? 0); i++) await launch('webhooks');
    const gateways = await Promise.all(gatewayPorts.map((port) => launch('gateway', {}, port)));
    const grpcGateways = await Promise.all(Array.from({ length: options.grpcGateways ?? 0 }, () => launch('grpc-gateway')));
    return {
      apiUrl: `http://127.0.0.1:${api.port}`,
      gatewayUrls: gateways.map((g) => `ws://127.0.0.1:${g.port}/ws`),
      grpcAddresses: grpcGateways.map((g) => `127.0.0.1:${g.grpcPort}`),
      processes,
      add: (app, env, port) => launch(app, env, port),
      dataDir,
      stop: async () => {
        await stopAll(processes);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll(processes);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls /readyz until 200; fails fast with the process's log if it exits first. */
async function waitReady(proc: StackProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited during start:\n${proc.logs()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${proc.port}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} not ready after ${timeoutMs} ms:\n${proc.logs()}`);
}

async function stopAll(processes: StackProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}
