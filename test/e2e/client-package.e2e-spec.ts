import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PACKAGE_DIR = join(ROOT, 'libs', 'client');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The SDK as an app gets it: `npm pack` of libs/client, unpacked where only its declared
 * dependencies are installed (zod; ws as the app's choice), imported from plain Node ESM.
 * Offline: the dependencies are linked from this repository's node_modules.
 */
describe('the @streamchat/client package', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim().split('\n').pop()!;
    const installed = join(dir, 'node_modules', '@streamchat', 'client');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['xzf', join(dir, tarball), '-C', installed, '--strip-components=1']);
    for (const dep of ['zod', 'ws']) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds its own compiled protocol: no @chat alias, no Node-only import, declarations included', () => {
    const files = filesUnder(join(dir, 'node_modules', '@streamchat', 'client'));
    expect(files.some((f) => f.endsWith('client/src/index.d.ts'))).toBe(true);
    expect(files.some((f) => f.endsWith('protocol/src/client-frames.schema.js'))).toBe(true);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(file, 'utf8');
      expect({ file, alias: /from '@chat\//.test(text), node: /from 'node:/.test(text) }).toEqual({ file, alias: false, node: false });
    }
  });

  it('imports from plain Node ESM and works', () => {
    writeFileSync(
      join(dir, 'smoke.mjs'),
      `import { ChatClient, ChatHttpApi, ChatRequestError, RoomsState, MembersState, TypingState, Backoff } from '@streamchat/client';
       import WebSocket from 'ws';
       const client = new ChatClient({ url: 'ws://127.0.0.1:9/ws', getToken: () => 't', WebSocket });
       const bad = await client.request('room.join', { roomId: '' }).catch((e) => e);
       client.close();
       console.log(JSON.stringify({ bad: bad instanceof ChatRequestError && bad.code, helpers: [ChatHttpApi, RoomsState, MembersState, TypingState, Backoff].every((f) => typeof f === 'function') }));`,
    );
    const out = execFileSync(process.execPath, ['smoke.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ bad: 'BAD_REQUEST', helpers: true });
  });
});
