import { generatedOnceFile } from '@chat/config';
import { createECDH } from 'node:crypto';

/** A VAPID key pair (RFC 8292), base64url: the uncompressed P-256 point and the private scalar. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** The file under DATA_DIR that keeps a generated pair. */
export const VAPID_KEYS_FILE = 'vapid-keys.json';

export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    // getPrivateKey drops leading zero bytes: VAPID wants the 32-byte scalar.
    privateKey: padded(ecdh.getPrivateKey()),
  };
}

function padded(scalar: Buffer): string {
  return Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]).toString('base64url');
}

/**
 * The server's VAPID keys: the configured pair (VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY), else a
 * pair generated on first use and kept in DATA_DIR/vapid-keys.json, which the api (serving
 * the public key) and push (signing with the private one) must share. Browsers subscribe
 * with the public key: a new pair invalidates every subscription, so it must not change.
 * `DATA_DIR=memory` keeps nothing on disk: one pair per process.
 */
export function vapidKeysOf(push: { vapidKeys?: VapidKeys; dataDir: string }): VapidKeys {
  if (push.vapidKeys) return push.vapidKeys;
  if (push.dataDir === 'memory') return (processPair ??= generateVapidKeys());
  const text = generatedOnceFile(push.dataDir, VAPID_KEYS_FILE, () => `${JSON.stringify(generateVapidKeys())}\n`);
  const keys = JSON.parse(text) as VapidKeys;
  if (Buffer.from(keys.publicKey ?? '', 'base64url').length !== 65 || Buffer.from(keys.privateKey ?? '', 'base64url').length !== 32) {
    throw new Error(`${push.dataDir}/${VAPID_KEYS_FILE} does not hold a VAPID key pair: delete it to get a new one`);
  }
  return keys;
}

let processPair: VapidKeys | undefined;
