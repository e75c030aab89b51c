let counter = 0;

/**
 * A fresh `clientMsgId`: unique per send, reused by every retry of that send so the server
 * creates the message once. Random enough that two devices of one user never collide.
 */
export function newClientMsgId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  if (uuid) return uuid;
  const random = () => Math.floor(Math.random() * 2 ** 32).toString(36);
  return `${Date.now().toString(36)}-${(++counter).toString(36)}-${random()}${random()}`;
}
