import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertStorageKey, AttachmentStorage, StoredObjectMissing } from './attachment-storage';

/**
 * Uploads as files under `<dir>/<last two characters of the key>/<key>` (fan-out keeps
 * directories small). A put writes a temporary file beside the target and renames it into
 * place, so a reader never sees half a file and a failed put leaves nothing under the key.
 */
export class LocalDiskStorage implements AttachmentStorage {
  readonly kind = 'local';

  constructor(private readonly dir: string) {}

  // The file is as long as the stream: the caller counted it already.
  async put(key: string, body: Readable, _size: number): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(join(path, '..'), { recursive: true });
    const part = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(body, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      await rename(part, path);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const stream = createReadStream(this.pathOf(key));
    // Surface a missing file now, as the port's error, rather than mid-response.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new StoredObjectMissing(key) : err));
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async ready(): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    return true;
  }

  async close(): Promise<void> {}

  private pathOf(key: string): string {
    assertStorageKey(key);
    return join(this.dir, key.slice(-2), key);
  }
}
