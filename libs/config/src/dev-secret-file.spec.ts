import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SECRET_FILE, devSecretFile } from './dev-secret-file';

describe('devSecretFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'secret-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a random secret on first use, readable by the owner only, and reuses it', () => {
    const dataDir = join(dir, 'not-yet-there');
    const first = devSecretFile(dataDir);
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, DEV_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(devSecretFile(dataDir)).toBe(first);
    // Another data folder, another secret.
    expect(devSecretFile(join(dir, 'other'))).not.toBe(first);
  });

  it('refuses a file that holds too short a secret rather than signing with it', () => {
    writeFileSync(join(dir, DEV_SECRET_FILE), 'short\n', { mode: 0o600 });
    expect(() => devSecretFile(dir)).toThrow(/32 bytes/);
  });
});
