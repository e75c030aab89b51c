import { createHash, randomBytes } from 'node:crypto';

/**
 * Id formats. Ids are opaque to clients, but the server encodes the room in a message id
 * so the gateway can route `message.edit`/`delete`/reactions to the room's shard without
 * a lookup. Room and user ids use [a-z0-9] only, so the separator is unambiguous.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

export const newUserId = (): string => randomId('u');
export const newRoomId = (): string => randomId('r');
export const newConnectionId = (): string => randomId('c', 12);
export const newAttachmentId = (): string => randomId('f');
export const newWebhookId = (): string => randomId('wh');

/**
 * Bot accounts have ids of their own form (`bot` + 16 characters), so whether a user is a
 * bot travels with the id: authors of stored messages, members, token holders are marked
 * without a join or a column on every row that names a user.
 */
export const newBotUserId = (): string => randomId('bot');
const BOT_ID = /^bot[0-9a-z]{16}$/;
export function isBotUserId(id: string): boolean {
  return BOT_ID.test(id);
}

/** A user (or author) object: `bot: true` added for a bot, absent for a person. */
export function userRef(id: string, username: string): { id: string; username: string; bot?: true } {
  return isBotUserId(id) ? { id, username, bot: true } : { id, username };
}

/** Where an attachment is downloaded, relative to the api (docs/protocol.md "Attachments"). */
export function attachmentPath(id: string): string {
  return `/api/attachments/${id}`;
}

/** An id derived from a seed: the same seed always gives the same id (idempotent creation). */
export function derivedId(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = prefix;
  for (let i = 0; i < 16; i++) out += ALPHABET[digest[i] % 36];
  return out;
}

/** The one DM room of a pair: the same id from either side, so a race creates it once. */
export function dmRoomId(userA: string, userB: string): string {
  const [a, b] = userA < userB ? [userA, userB] : [userB, userA];
  return derivedId('d', `${a}\u0000${b}`);
}

export function messageId(roomId: string, seq: number): string {
  return `${roomId}:${seq}`;
}

/** The room a message id belongs to, or undefined when the id is not one of ours. */
export function roomOfMessageId(id: string): string | undefined {
  const at = id.lastIndexOf(':');
  return at > 0 ? id.slice(0, at) : undefined;
}
