import type { ParseMode } from './config';
import type { DeliveryRouter } from './recorder';

/** What the workload needs from one connected room member, whatever the system. */
export type AckCallback = (ok: boolean, code?: string, retryAfterMs?: number) => void;

export interface BenchClient {
  readonly index: number;
  /** Sends one message to the bench room; `cb` runs once with the server's ack. */
  send(g: number, text: string, clientMsgId: string, cb: AckCallback): void;
  /** Connection-level trouble seen so far (unexpected closes, error frames, unparsable frames). */
  readonly trouble: ClientTrouble;
  close(): void;
}

export interface ClientTrouble {
  closes: number;
  closeCodes: Record<string, number>;
  errorEvents: Record<string, number>;
  badFrames: number;
}

export function newTrouble(): ClientTrouble {
  return { closes: 0, closeCodes: {}, errorEvents: {}, badFrames: 0 };
}

/** What the two clients (ws, socket.io) share: identity, room, trouble counts. */
export abstract class RoomMember implements BenchClient {
  readonly trouble: ClientTrouble = newTrouble();
  roomId = '';
  /** Set by close(): the closes that follow are not trouble. */
  protected closing = false;

  constructor(
    readonly index: number,
    protected readonly url: string,
    protected readonly router: DeliveryRouter,
    protected readonly parse: ParseMode,
  ) {}

  abstract send(g: number, text: string, clientMsgId: string, cb: AckCallback): void;
  abstract close(): void;

  /** Counts a close this client did not ask for, by code or reason. */
  protected countClose(why: string | number): void {
    if (this.closing) return;
    this.trouble.closes++;
    this.trouble.closeCodes[why] = (this.trouble.closeCodes[why] ?? 0) + 1;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
