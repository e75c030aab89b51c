import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@chat/devstack';
import { pingRedis } from '@chat/redis';
import { waitFor } from '../support/wait-for';
import { uniqueName } from '../support/chat-stack';
import { GrpcChat } from '../support/grpc-client';
import { guest, WsClient } from '../support/ws-client';

/**
 * `npm start` on a fresh machine: one process, embedded PGlite under DATA_DIR, and a private
 * redis-server because nothing answers at REDIS_URL. It must serve the API, the WebSocket
 * and the web client, keep data across a restart, and stop its Redis on exit.
 */
describe('npm start (all apps in one process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-aio-'));
  let ports: { api: number; gateway: number; messages: number; presence: number; search: number; push: number; grpc: number; grpcHttp: number; webhooks: number; redis: number };
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    ports = {
      api: await freePort(),
      gateway: await freePort(),
      messages: await freePort(),
      presence: await freePort(),
      search: await freePort(),
      push: await freePort(),
      grpc: await freePort(),
      grpcHttp: await freePort(),
      webhooks: await freePort(),
      redis: await freePort(),
    };
  });
  afterAll(() => {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    output = '';
    child = spawn(process.execPath, ['dist/apps/all-in-one/src/main.js'], {
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
        API_PORT: String(ports.api),
        GATEWAY_PORT: String(ports.gateway),
        MESSAGES_PORT: String(ports.messages),
        PRESENCE_PORT: String(ports.presence),
        SEARCH_PORT: String(ports.search),
        PUSH_PORT: String(ports.push),
        GRPC_PORT: String(ports.grpc),
        GRPC_HTTP_PORT: String(ports.grpcHttp),
        WEBHOOKS_PORT: String(ports.webhooks),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
      detached: true,
    });
    const seen = new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        output += d.toString();
        if (output.includes('Chat is running')) resolve();
      });
      child!.stderr!.on('data', (d) => (output += d.toString()));
      child!.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
    });
    await seen;
  }

  /** SIGTERM to the process, or Ctrl-C: SIGINT to its whole process group. */
  async function stop(how: 'SIGTERM' | 'ctrl-c' = 'SIGTERM'): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    if (how === 'ctrl-c') process.kill(-child!.pid!, 'SIGINT');
    else child!.kill('SIGTERM');
    const code = await exited;
    child = undefined;
    return code;
  }

  it('starts Redis itself, serves everything, keeps messages across a restart, and cleans up', async () => {
    expect(await pingRedis(`redis://127.0.0.1:${ports.redis}`)).toBe(false);
    await start();
    expect(output).toContain(`http://127.0.0.1:${ports.api}/`);
    expect(output).toContain(`ws://127.0.0.1:${ports.gateway}/ws`);
    expect(await pingRedis(`redis://127.0.0.1:${ports.redis}`)).toBe(true);

    const api = `http://127.0.0.1:${ports.api}`;
    // No JWT_SECRET given: one was generated under DATA_DIR, readable by its owner only.
    const secretFile = join(dataDir, 'jwt-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8');
    expect(Buffer.byteLength(secret.trim())).toBeGreaterThanOrEqual(32);
    // The push service runs in the process too, with a VAPID pair generated once under DATA_DIR.
    expect((await fetch(`http://127.0.0.1:${ports.push}/readyz`)).status).toBe(200);
    // And the webhooks service.
    expect((await fetch(`http://127.0.0.1:${ports.webhooks}/readyz`)).status).toBe(200);
    const keysFile = join(dataDir, 'vapid-keys.json');
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const { publicKey } = (await (await fetch(`${api}/api/push/vapid-public-key`)).json()) as { publicKey: string };
    expect(JSON.parse(readFileSync(keysFile, 'utf8')).publicKey).toBe(publicKey);
    const name = uniqueName('solo');
    const { token, user } = await guest(api, name);
    let client = await WsClient.connect(`ws://127.0.0.1:${ports.gateway}/ws`, token);
    const { room } = await client.call('room.create', { name: 'local' });
    const echo = client.next((f) => f.type === 'message.created');
    await client.call('message.send', { roomId: room.id, text: 'kept on disk', clientMsgId: 'k1' });
    expect((await echo).data.text).toBe('kept on disk');
    // The gRPC door runs in the process too, on the same streams.
    const grpc = new GrpcChat(`127.0.0.1:${ports.grpc}`);
    const viaGrpc = await grpc.unary('GetMessages', { room_id: room.id }, token);
    grpc.close();
    expect(viaGrpc.messages.map((m: { text: string }) => m.text)).toEqual(['kept on disk']);
    await client.close();
    await stop();
    await waitFor(async () => !(await pingRedis(`redis://127.0.0.1:${ports.redis}`)), { what: 'the private redis to stop' });

    await start();
    // The same secret again: the token of before the restart still opens a socket.
    expect(readFileSync(secretFile, 'utf8')).toBe(secret);
    // The same VAPID key: browsers subscribed before the restart are still reachable.
    expect(((await (await fetch(`${api}/api/push/vapid-public-key`)).json()) as { publicKey: string }).publicKey).toBe(publicKey);
    client = await WsClient.connect(`ws://127.0.0.1:${ports.gateway}/ws`, token);
    // And it proves the guest's name: the same user comes back.
    const back = await fetch(`${api}/api/auth/guest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, token }),
    });
    expect(back.status).toBe(200);
    expect(((await back.json()) as { user: unknown }).user).toEqual(user);
    const history = await client.call('message.history', { roomId: room.id });
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['kept on disk']);
    await client.close();
    // Ctrl-C reaches the app and its private redis-server alike: the app still shuts down in
    // order, cleanly (it used to hang, retrying a Redis that died first), and Redis is gone.
    expect(await stop('ctrl-c')).toBe(0);
    expect(await pingRedis(`redis://127.0.0.1:${ports.redis}`)).toBe(false);
  });
});
