import Redis from 'ioredis';

/**
 * The presence state changes, as Lua scripts: each reads and writes in one atomic step, so
 * "did the status change?" and the change itself can never be split by another writer, and a
 * whole batch can go to Redis as one pipeline (each script decides from the state the
 * previous ones left). Every script touches the keys of ONE hash tag only (a user's keys share
 * `{userId}`, a room's typing set is `{roomId}`), so each stays valid on Redis Cluster; the
 * global zsets (deadlines, heartbeats, typing rooms) are written by plain commands beside them.
 *
 * Scripts answering "publish?" return `{1, ...}` to publish and `{0, ...}` for nothing;
 * `force` = '1' asks for the data even when nothing changed (a redelivered entry may have
 * changed the state before its events were published).
 */

// Appends a Redis array reply to a Lua table (SMEMBERS / ZRANGE results).
const APPEND = `local function append(out, list) for i = 1, #list do out[#out + 1] = list[i] end return out end`;

export const PresenceScripts = {
  /**
   * A connection said hello. KEYS conns, lastSeen, choice, presence, userRooms;
   * ARGV connectionId, gatewayId, now, force → {publish, status, rooms...}.
   */
  presenceConnect: {
    numberOfKeys: 5,
    lua: `${APPEND}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
local status = redis.call('GET', KEYS[3]) or 'online'
local changed = redis.call('GET', KEYS[4]) ~= status
if changed then redis.call('SET', KEYS[4], status) end
if not changed and ARGV[4] ~= '1' then return {0, status} end
return append({1, status}, redis.call('SMEMBERS', KEYS[5]))`,
  },

  /**
   * A connection closed (or its gateway died). Only removes the connection when it is still
   * recorded on that gateway; lastSeen only moves forward. KEYS conns, lastSeen;
   * ARGV connectionId, gatewayId, seenAt → connections left.
   */
  presenceDisconnect: {
    numberOfKeys: 2,
    lua: `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[3]) then redis.call('SET', KEYS[2], ARGV[3]) end
return redis.call('HLEN', KEYS[1])`,
  },

  /**
   * presence.set: the choice is kept (offline too, for the next connect); the visible status
   * changes only while connected. KEYS choice, conns, presence, userRooms; ARGV status, force
   * → {publish, rooms...}.
   */
  presenceChoose: {
    numberOfKeys: 4,
    lua: `${APPEND}
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[2]) == 0 then return {0} end
local changed = redis.call('GET', KEYS[3]) ~= ARGV[1]
if changed then redis.call('SET', KEYS[3], ARGV[1]) end
if not changed and ARGV[2] ~= '1' then return {0} end
return append({1}, redis.call('SMEMBERS', KEYS[4]))`,
  },

  /**
   * An offline deadline passed. Goes offline only when no connection came back; the DEL that
   * returned 1 is what makes exactly one caller publish. KEYS conns, presence, lastSeen,
   * userRooms → {publish, lastSeen, rooms...}.
   */
  presenceGoOffline: {
    numberOfKeys: 4,
    lua: `${APPEND}
if redis.call('HLEN', KEYS[1]) > 0 or redis.call('DEL', KEYS[2]) == 0 then return {0} end
return append({1, redis.call('GET', KEYS[3]) or ''}, redis.call('SMEMBERS', KEYS[4]))`,
  },

  /**
   * typing.start: drops expired typers, then (re)arms the user's expiry. Publishes when the
   * set of typers changed. KEYS typing; ARGV userId, now, expiresAt, force → {publish, typers...}.
   */
  typingStart: {
    numberOfKeys: 1,
    lua: `${APPEND}
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local added = redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if expired + added == 0 and ARGV[4] ~= '1' then return {0} end
return append({1}, redis.call('ZRANGE', KEYS[1], 0, -1))`,
  },

  /** typing.stop. KEYS typing; ARGV userId, now, force → {publish, typers...}. */
  typingStop: {
    numberOfKeys: 1,
    lua: `${APPEND}
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if expired + removed == 0 and ARGV[3] ~= '1' then return {0} end
return append({1}, redis.call('ZRANGE', KEYS[1], 0, -1))`,
  },

  /**
   * The typing sweep of one room. KEYS typing; ARGV now
   * → {expired count, earliest remaining expiry or '', typers...}.
   */
  typingExpire: {
    numberOfKeys: 1,
    lua: `${APPEND}
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return append({expired, first[2] or ''}, redis.call('ZRANGE', KEYS[1], 0, -1))`,
  },

  /**
   * Removes a zset member only while its score is still at or below `cutoff`, so a sweep
   * never removes a deadline, heartbeat or expiry renewed since it looked. KEYS zset;
   * ARGV member, cutoff → 1 if removed.
   */
  zremIfDue: {
    numberOfKeys: 1,
    lua: `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`,
  },
} as const;

export type PresenceScriptName = keyof typeof PresenceScripts;

/** What a pipeline, MULTI or connection offers once the scripts are defined on its connection. */
export type WithPresenceScripts = Record<PresenceScriptName, (...keysAndArgs: (string | number)[]) => unknown>;

/**
 * Defines the scripts on a connection (EVALSHA, falling back to EVAL once per socket).
 * Pipelines and MULTIs of that connection get them too.
 */
export function definePresenceScripts(redis: Redis): void {
  for (const [name, script] of Object.entries(PresenceScripts)) redis.defineCommand(name, script);
}

/** The scripts of a connection, pipeline or MULTI on which `definePresenceScripts` ran. */
export function scripts(target: unknown): WithPresenceScripts {
  return target as WithPresenceScripts;
}
