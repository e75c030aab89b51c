import { PresenceStatus } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { PipelineBatch } from './pipeline.batch';
import { scripts } from './presence.scripts';

/** One socket as the gateway names it in the envelope. */
export interface Connection {
  userId: string;
  connectionId: string;
  gatewayId: string;
}

export interface StoreTimings {
  offlineGraceMs: number;
  typingTtlMs: number;
}

/** A status change to publish: the user's rooms come with it, read in the same atomic step. */
export interface StatusChange {
  status: PresenceStatus;
  rooms: string[];
}

type ScriptReply = [flag: number, ...rest: string[]];

/** Member of `gatewayConnections(g)`: "userId connectionId". */
export function connectionMember(userId: string, connectionId: string): string {
  return `${userId} ${connectionId}`;
}

export function parseConnectionMember(member: string): { userId: string; connectionId: string } | undefined {
  const space = member.indexOf(' ');
  if (space <= 0 || space === member.length - 1) return undefined;
  return { userId: member.slice(0, space), connectionId: member.slice(space + 1) };
}

/**
 * The presence state in Redis, as operations queued on a PipelineBatch (one round trip per
 * batch). Script replies become plain values for the caller's `then`, which only runs when
 * there is something to publish. The only place that knows which key holds what.
 */
export class PresenceStore {
  constructor(private readonly timings: StoreTimings) {}

  /** Records the connection, cancels a pending offline deadline, shows the chosen status. */
  connect(b: PipelineBatch, conn: Connection, now: number, force: boolean, then: (change: StatusChange) => void): void {
    const { userId: u, connectionId: c, gatewayId: g } = conn;
    b.add<ScriptReply>(
      (p) =>
        scripts(p).presenceConnect(
          Keys.presenceConnections(u),
          Keys.lastSeen(u),
          Keys.presenceChoice(u),
          Keys.presence(u),
          Keys.userRooms(u),
          c,
          g,
          now,
          flag(force),
        ),
      ([publish, status, ...rooms]) => publish === 1 && then({ status: status as PresenceStatus, rooms }),
    );
    b.add((p) => p.sadd(Keys.gatewayConnections(g), connectionMember(u, c)));
    b.add((p) => p.zrem(Keys.offlineDeadlines(), u));
    // A connect proves its gateway alive; NX registers a gateway that dies before its first
    // heartbeat (so its sockets are still swept) without moving a known one's time.
    b.add((p) => p.zadd(Keys.gatewayHeartbeats(), 'NX', now, g));
  }

  /**
   * Forgets the connection and arms the user's offline deadline. The deadline is armed even
   * when another device is still connected (the script's answer is not known while queueing):
   * the sweep checks the connections again when it passes, so nothing visible changes.
   */
  disconnect(b: PipelineBatch, conn: Connection, seenAt: number, now: number): void {
    const { userId: u, connectionId: c, gatewayId: g } = conn;
    b.add((p) => scripts(p).presenceDisconnect(Keys.presenceConnections(u), Keys.lastSeen(u), c, g, seenAt));
    b.add((p) => p.srem(Keys.gatewayConnections(g), connectionMember(u, c)));
    b.add((p) => p.zadd(Keys.offlineDeadlines(), now + this.timings.offlineGraceMs, u));
  }

  heartbeat(b: PipelineBatch, gatewayId: string, now: number): void {
    b.add((p) => p.zadd(Keys.gatewayHeartbeats(), now, gatewayId));
  }

  /** presence.set: `then` runs when the visible status changed (only while connected). */
  choose(b: PipelineBatch, userId: string, status: PresenceStatus, force: boolean, then: (change: StatusChange) => void): void {
    const u = userId;
    b.add<ScriptReply>(
      (p) =>
        scripts(p).presenceChoose(Keys.presenceChoice(u), Keys.presenceConnections(u), Keys.presence(u), Keys.userRooms(u), status, flag(force)),
      ([publish, ...rooms]) => publish === 1 && then({ status, rooms }),
    );
  }

  /** Whether the user is a member of the room, from the set the gateway loaded at connect. */
  isMember(b: PipelineBatch, userId: string, roomId: string, then: (member: boolean) => void): void {
    b.add<number>((p) => p.sismember(Keys.userRooms(userId), roomId), (reply) => then(reply === 1));
  }

  /** `then` gets the room's typers when they changed. */
  typingStart(b: PipelineBatch, userId: string, roomId: string, now: number, force: boolean, then: (typers: string[]) => void): void {
    const expiresAt = now + this.timings.typingTtlMs;
    b.add<ScriptReply>(
      (p) => scripts(p).typingStart(Keys.typing(roomId), userId, now, expiresAt, flag(force)),
      ([publish, ...typers]) => publish === 1 && then(typers),
    );
    // The room's sweep time is a lower bound of its earliest expiry (LT keeps the earlier one);
    // a sweep that comes early finds nothing expired and moves it to the real earliest.
    b.add((p) => p.zadd(Keys.typingRooms(), 'LT', expiresAt, roomId));
  }

  /** `then` gets the room's typers when they changed. An emptied room is tidied by the sweep. */
  typingStop(b: PipelineBatch, userId: string, roomId: string, now: number, force: boolean, then: (typers: string[]) => void): void {
    b.add<ScriptReply>(
      (p) => scripts(p).typingStop(Keys.typing(roomId), userId, now, flag(force)),
      ([publish, ...typers]) => publish === 1 && then(typers),
    );
  }

  // --- sweeps -------------------------------------------------------------------------

  /** Users whose offline deadline passed, oldest first. */
  dueOfflineDeadlines(b: PipelineBatch, now: number, limit: number, then: (userIds: string[]) => void): void {
    b.add<string[]>((p) => p.zrangebyscore(Keys.offlineDeadlines(), '-inf', now, 'LIMIT', 0, limit), then);
  }

  /** Offline unless a connection came back; `then` runs for the one caller that made it so. */
  goOffline(b: PipelineBatch, userId: string, then: (offline: { lastSeenMs?: number; rooms: string[] }) => void): void {
    const u = userId;
    b.add<ScriptReply>(
      (p) => scripts(p).presenceGoOffline(Keys.presenceConnections(u), Keys.presence(u), Keys.lastSeen(u), Keys.userRooms(u)),
      ([offline, lastSeen, ...rooms]) => offline === 1 && then({ lastSeenMs: lastSeen ? Number(lastSeen) : undefined, rooms }),
    );
  }

  /** Removes a deadline only while it is still due (a later disconnect may have re-armed it). */
  clearOfflineDeadline(b: PipelineBatch, userId: string, dueBy: number): void {
    b.add((p) => scripts(p).zremIfDue(Keys.offlineDeadlines(), userId, dueBy));
  }

  /** Gateways whose last heartbeat is at or before `cutoff`, with that heartbeat time. */
  deadGateways(b: PipelineBatch, cutoff: number, limit: number, then: (gateways: { gatewayId: string; lastBeat: number }[]) => void): void {
    b.add<string[]>(
      (p) => p.zrangebyscore(Keys.gatewayHeartbeats(), '-inf', cutoff, 'WITHSCORES', 'LIMIT', 0, limit),
      (flat) => then(pairs(flat).map(([gatewayId, score]) => ({ gatewayId, lastBeat: Number(score) }))),
    );
  }

  /** Whether a gateway still counts as dead (it may have come back since the sweep looked). */
  gatewayStillDead(b: PipelineBatch, gatewayId: string, cutoff: number, then: (dead: boolean) => void): void {
    b.add<string | null>((p) => p.zscore(Keys.gatewayHeartbeats(), gatewayId), (score) => then(score !== null && Number(score) <= cutoff));
  }

  /** Some of the connections a gateway reported ("userId connectionId"), up to `count`. */
  someGatewayConnections(b: PipelineBatch, gatewayId: string, count: number, then: (members: string[]) => void): void {
    b.add<string[]>((p) => p.srandmember(Keys.gatewayConnections(gatewayId), count), then);
  }

  /** Drops one unreadable member of a gateway's connection set (else a sweep would loop on it). */
  dropGatewayConnection(b: PipelineBatch, gatewayId: string, member: string): void {
    b.add((p) => p.srem(Keys.gatewayConnections(gatewayId), member));
  }

  /** Drops a swept gateway, unless it sent a heartbeat meanwhile. */
  forgetGateway(b: PipelineBatch, gatewayId: string, cutoff: number): void {
    b.add((p) => scripts(p).zremIfDue(Keys.gatewayHeartbeats(), gatewayId, cutoff));
  }

  /** Rooms whose earliest typing expiry passed. */
  dueTypingRooms(b: PipelineBatch, now: number, limit: number, then: (roomIds: string[]) => void): void {
    b.add<string[]>((p) => p.zrangebyscore(Keys.typingRooms(), '-inf', now, 'LIMIT', 0, limit), then);
  }

  /** Drops the room's expired typers; `then` gets how many, the earliest remaining expiry and who is left. */
  expireTyping(
    b: PipelineBatch,
    roomId: string,
    now: number,
    then: (result: { expired: number; nextExpiry?: number; typers: string[] }) => void,
  ): void {
    b.add<ScriptReply>(
      (p) => scripts(p).typingExpire(Keys.typing(roomId), now),
      ([expired, next, ...typers]) => then({ expired, nextExpiry: next ? Number(next) : undefined, typers }),
    );
  }

  /** Moves the room's sweep time to its earliest remaining expiry, or drops it when nobody types. */
  rescheduleTypingRoom(b: PipelineBatch, roomId: string, now: number, nextExpiry: number | undefined): void {
    if (nextExpiry === undefined) b.add((p) => scripts(p).zremIfDue(Keys.typingRooms(), roomId, now));
    else b.add((p) => p.zadd(Keys.typingRooms(), nextExpiry, roomId));
  }
}

function flag(on: boolean): number {
  return on ? 1 : 0;
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
