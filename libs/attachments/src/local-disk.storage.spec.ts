import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { StoredObjectMissing } from './attachment-storage';
import { LocalDiskStorage } from './local-disk.storage';

describe('LocalDiskStorage', () => {
  let dir: string;
  let storage: LocalDiskStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'attachments-'));
    storage = new LocalDiskStorage(join(dir, 'attachments'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores, reads back and deletes', async () => {
    await storage.put('fabc123', Readable.from([Buffer.from('hello '), Buffer.from('world')]), 11);
    expect(await text(await storage.get('fabc123'))).toBe('hello world');
    await storage.delete('fabc123');
    await expect(storage.get('fabc123')).rejects.toBeInstanceOf(StoredObjectMissing);
    await storage.delete('fabc123'); // deleting nothing is fine
  });

  it('leaves nothing under the key when the body fails midway', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('fbroken', broken, 100)).rejects.toThrow('client went away');
    await expect(storage.get('fbroken')).rejects.toBeInstanceOf(StoredObjectMissing);
    expect(readdirSync(join(dir, 'attachments', 'en'))).toEqual([]);
  });

  it('refuses keys that could name another path', async () => {
    for (const key of ['../x', 'a/b', '', 'A', 'x'.repeat(65)]) {
      await expect(storage.put(key, Readable.from([]), 0)).rejects.toThrow('bad storage key');
      await expect(storage.get(key)).rejects.toThrow('bad storage key');
    }
  });

  it('is ready once its folder exists', async () => {
    expect(await storage.ready()).toBe(true);
    expect(readdirSync(dir)).toEqual(['attachments']);
  });
});
