import { ClientSocket } from './client-socket';

/**
 * Which sockets' tokens expire in which second, so the gateway's one-second sweep closes the
 * expired ones without a timer per socket and without looking at every socket: each sweep
 * visits only the buckets of the seconds that passed since the previous one. A bucket holds
 * the socket itself until a second socket expires in the same second (most buckets hold one).
 */
export class SessionExpiries {
  private readonly buckets = new Map<number, ClientSocket | Set<ClientSocket>>();
  /** Every bucket up to this second (inclusive) has been handed out by `due`. */
  private sweptUpTo: number;

  constructor(nowSeconds = Math.floor(Date.now() / 1000)) {
    this.sweptUpTo = nowSeconds - 1;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** `expiresAt` in seconds since epoch (the token's `exp`). */
  add(socket: ClientSocket, expiresAt: number): void {
    const second = Math.max(expiresAt, this.sweptUpTo + 1);
    const bucket = this.buckets.get(second);
    if (bucket === undefined) this.buckets.set(second, socket);
    else if (bucket instanceof Set) bucket.add(socket);
    else if (bucket !== socket) this.buckets.set(second, new Set([bucket, socket]));
  }

  remove(socket: ClientSocket, expiresAt: number): void {
    const second = Math.max(expiresAt, this.sweptUpTo + 1);
    const bucket = this.buckets.get(second);
    if (bucket === socket) this.buckets.delete(second);
    else if (bucket instanceof Set && bucket.delete(socket) && bucket.size === 0) this.buckets.delete(second);
  }

  /** Removes and returns the sockets whose token expired at or before `nowSeconds`. */
  due(nowSeconds: number): ClientSocket[] {
    const expired: ClientSocket[] = [];
    for (let second = this.sweptUpTo + 1; second <= nowSeconds; second++) {
      const bucket = this.buckets.get(second);
      if (bucket === undefined) continue;
      this.buckets.delete(second);
      if (bucket instanceof Set) expired.push(...bucket);
      else expired.push(bucket);
    }
    this.sweptUpTo = Math.max(this.sweptUpTo, nowSeconds);
    return expired;
  }
}
