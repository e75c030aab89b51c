import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_JWT_SECRET_BYTES } from './jwt-secret';

/** The file under DATA_DIR that keeps the generated secret of a laptop install. */
export const DEV_SECRET_FILE = 'jwt-secret';

/**
 * The content of `DATA_DIR/<name>`, written with `create()` on first use (mode 0600) and read
 * back ever after, so generated secrets survive a restart and standalone apps sharing the
 * folder agree on them.
 */
export function generatedOnceFile(dataDir: string, name: string, create: () => string): string {
  const file = join(dataDir, name);
  mkdirSync(dataDir, { recursive: true });
  // Written to a private temp file and linked into place: link fails if the file exists, so
  // two apps starting together never overwrite each other and nobody reads half a file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, create(), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
  // A copied-in file may have looser permissions than the one we write.
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8');
}

/**
 * The JWT secret of `npm start` and dev runs without JWT_SECRET: random on first start, kept
 * under DATA_DIR. Never used in production, where JWT_SECRET is required.
 */
export function devSecretFile(dataDir: string): string {
  const secret = generatedOnceFile(dataDir, DEV_SECRET_FILE, () => `${randomBytes(48).toString('base64url')}\n`).trim();
  if (Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES) {
    throw new Error(`${join(dataDir, DEV_SECRET_FILE)} holds a JWT secret shorter than ${MIN_JWT_SECRET_BYTES} bytes: delete it to get a new one`);
  }
  return secret;
}
