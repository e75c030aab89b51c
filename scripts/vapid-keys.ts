/**
 * `npm run vapid-keys`: prints a new VAPID key pair as environment lines, for deployments
 * where several hosts must share one pair (the api serves the public key, push signs with
 * the private one; browsers subscribed with one pair cannot be reached with another).
 */
import { generateVapidKeys } from '@chat/push';

const { publicKey, privateKey } = generateVapidKeys();
process.stdout.write(`VAPID_PUBLIC_KEY=${publicKey}\nVAPID_PRIVATE_KEY=${privateKey}\n`);
