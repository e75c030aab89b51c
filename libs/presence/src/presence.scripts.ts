import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

const lua = (file: string) => readFileSync(join(__dirname, 'lua', file), 'utf8');
// The `append` helper of the scripts that return lists, prepended to them.
const withAppend = (file: string) => `${lua('append.lua')}\n${lua(file)}`;

/** Each script's key count and source; what it does, and its KEYS and ARGV, head its `.lua` file. */
export const PresenceScripts = {
  presenceConnect: { numberOfKeys: 5, lua: withAppend('presence-connect.lua') },
  presenceDisconnect: { numberOfKeys: 2, lua: lua('presence-disconnect.lua') },
  presenceChoose: { numberOfKeys: 4, lua: withAppend('presence-choose.lua') },
  presenceGoOffline: { numberOfKeys: 4, lua: withAppend('presence-go-offline.lua') },
  typingStart: { numberOfKeys: 1, lua: withAppend('typing-start.lua') },
  typingStop: { numberOfKeys: 1, lua: withAppend('typing-stop.lua') },
  typingExpire: { numberOfKeys: 1, lua: withAppend('typing-expire.lua') },
  zremIfDue: { numberOfKeys: 1, lua: lua('zrem-if-due.lua') },
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
