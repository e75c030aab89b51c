import type { Message, OpDataOf } from '../../protocol/src/wire';

export type SendData = OpDataOf<'message.send'>;

/** One send the server has not acknowledged yet. */
export interface PendingSend {
  data: SendData;
  resolve(message: Message): void;
  reject(error: Error): void;
  /** The ref of the attempt on the wire, if one is. */
  ref?: string;
  /** A retry is scheduled (RATE_LIMITED, UNAVAILABLE): not to be sent before then. */
  retryTimer?: ReturnType<typeof setTimeout>;
}

/**
 * Sends not yet acknowledged, in the order the app made them. Every attempt of one send
 * carries the same `clientMsgId`, so one that was applied but whose reply was lost (the
 * connection dropped) is answered with the first message, not created again.
 */
export class Outbox {
  private readonly sends: PendingSend[] = [];

  get size(): number {
    return this.sends.length;
  }

  add(send: PendingSend): void {
    this.sends.push(send);
  }

  /** Sends that are neither on the wire nor waiting for a retry, oldest first. */
  ready(): PendingSend[] {
    return this.sends.filter((s) => s.ref === undefined && s.retryTimer === undefined);
  }

  byRef(ref: string): PendingSend | undefined {
    return this.sends.find((s) => s.ref === ref);
  }

  remove(send: PendingSend): void {
    const at = this.sends.indexOf(send);
    if (at >= 0) this.sends.splice(at, 1);
    clearTimeout(send.retryTimer);
  }

  /** The connection dropped: no attempt is on the wire any more. */
  offTheWire(): void {
    for (const send of this.sends) send.ref = undefined;
  }

  /** Fails every send (the client is closing). */
  rejectAll(error: Error): void {
    for (const send of this.sends.splice(0)) {
      clearTimeout(send.retryTimer);
      send.reject(error);
    }
  }
}
