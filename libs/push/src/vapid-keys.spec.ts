import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVapidKeys, VAPID_KEYS_FILE, vapidKeysOf } from './vapid-keys';

describe('VAPID keys', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vapid-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a P-256 pair: a 65-byte uncompressed point and a 32-byte scalar', () => {
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = generateVapidKeys();
      expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
      expect(Buffer.from(publicKey, 'base64url')[0]).toBe(4);
      expect(Buffer.from(privateKey, 'base64url')).toHaveLength(32);
    }
  });

  it('uses the configured pair when there is one, and writes nothing', () => {
    const configured = generateVapidKeys();
    expect(vapidKeysOf({ vapidKeys: configured, dataDir: dir })).toBe(configured);
    expect(() => statSync(join(dir, VAPID_KEYS_FILE))).toThrow();
  });

  it('otherwise generates one once under DATA_DIR, private to its owner, and reads it back ever after', () => {
    const first = vapidKeysOf({ dataDir: dir });
    expect(statSync(join(dir, VAPID_KEYS_FILE)).mode & 0o777).toBe(0o600);
    expect(vapidKeysOf({ dataDir: dir })).toEqual(first);
  });

  it('refuses a file that does not hold a pair, saying what to do', () => {
    writeFileSync(join(dir, VAPID_KEYS_FILE), '{"publicKey":"short"}');
    expect(() => vapidKeysOf({ dataDir: dir })).toThrow(/delete it to get a new one/);
  });
});
