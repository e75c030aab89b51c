import { spawn } from 'node:child_process';
import { freePort } from '@chat/devstack';

/**
 * An app pointed at a Redis or PostgreSQL that does not answer waits a bounded time
 * (STARTUP_TIMEOUT_MS), then exits 1 with one line naming the variable to fix — it used to
 * retry forever without a word. A bad variable is one clean line too, never a stack.
 */
describe('starting an app with a wrong address', () => {
  const APPS = ['api', 'messages', 'presence', 'search', 'push', 'webhooks', 'gateway'] as const;
  const DATABASE_APPS = ['api', 'messages', 'search', 'push', 'webhooks'] as const;

  async function run(app: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [`dist/apps/${app}/src/main.js`], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_FORMAT: 'json', HOST: '127.0.0.1', DATA_DIR: 'memory', STARTUP_TIMEOUT_MS: '1000', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr, ms: Date.now() - started };
  }

  it.each(APPS)('%s: exits 1 naming REDIS_URL when nothing answers there', async (app) => {
    const port = await freePort();
    const { code, stderr } = await run(app, { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(stderr).toContain(`${app}: cannot reach Redis at REDIS_URL=redis://127.0.0.1:${port}`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).toContain('check REDIS_URL');
  });

  it.each(DATABASE_APPS)('%s: exits 1 naming DATABASE_URL, password hidden, when PostgreSQL does not answer', async (app) => {
    const port = await freePort();
    const { code, stderr } = await run(app, { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: `postgres://chat:hunter2@127.0.0.1:${port}/chat` });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach PostgreSQL at DATABASE_URL=postgres://chat:***@127.0.0.1:${port}/chat`);
    expect(stderr).not.toContain('hunter2');
  });

  it.each(APPS)('%s: a bad variable is one clean line, not a stack trace', async (app) => {
    const { code, stderr } = await run(app, { REDIS_URL: 'not a url', SHARDS: 'many' });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${app}: invalid configuration:`));
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).toContain('SHARDS');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
