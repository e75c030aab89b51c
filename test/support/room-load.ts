import { Frame, WsClient } from './ws-client';

/**
 * Load and checks shared by the suites that disturb the message path (failover, handover,
 * poison entries): bursts of sends that retry with their clientMsgId until acknowledged, and
 * the exactly-once, in-order check every member must pass afterwards.
 */

/** Sends `count` messages with up to `window` in flight; a send without reply is sent again with its clientMsgId. */
export async function sendBurst(
  client: WsClient,
  roomId: string,
  tag: string,
  count: number,
  { window = 8, retryAfterMs = 3000, onAck }: { window?: number; retryAfterMs?: number; onAck?: () => void } = {},
): Promise<Map<string, number>> {
  const acked = new Map<string, number>(); // clientMsgId → seq
  let next = 0;
  const sendOne = async (k: number): Promise<void> => {
    const clientMsgId = `${tag}-${k}`;
    for (let attempt = 0; ; attempt++) {
      const reply = await client.request('message.send', { roomId, text: `burst ${tag}/${k}`, clientMsgId }, retryAfterMs).catch(() => undefined);
      if (reply?.ok) {
        acked.set(clientMsgId, reply.data.message.seq);
        onAck?.();
        return;
      }
      if (attempt > 20) throw new Error(`${clientMsgId} never acknowledged: ${JSON.stringify(reply)}`);
    }
  };
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < count) await sendOne(next++);
    }),
  );
  return acked;
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every `message.created` of the room reached the client exactly once, in seq order, 1..total. */
export async function expectExactlyOnceInOrder(client: WsClient, roomId: string, total: number, timeoutMs = 60_000): Promise<void> {
  const isCreated = (f: Frame) => f.type === 'message.created' && f.data.roomId === roomId;
  await client.waitForCount(isCreated, total, timeoutMs, `message.created in ${roomId}`);
  const seqs = client.events('message.created').filter(isCreated).map((f) => f.data.seq);
  expect(seqs).toEqual(range(1, total));
}

/** The room's whole history, oldest first, paged the way a client pages it. */
export async function historyOf(client: WsClient, roomId: string): Promise<{ seq: number; clientMsgId?: string }[]> {
  let stored: { seq: number; clientMsgId?: string }[] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await client.call('message.history', { roomId, beforeSeq, limit: 100 });
    stored = [...page.messages, ...stored];
    if (!page.hasMore) break;
    beforeSeq = page.messages[0].seq;
  }
  return stored;
}
