import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let scripts = 0;

/**
 * A Lua script kept in its own `.lua` file under `lua/` beside the code that runs it (the
 * build copies them into dist/). Defined once per connection as an ioredis custom command,
 * so it travels as EVALSHA and falls back to EVAL when Redis does not know it (a restart).
 */
export class LuaScript {
  private readonly source: string;
  private readonly name = `chatLua${scripts++}`;
  private readonly definedOn = new WeakSet<Redis>();

  constructor(dir: string, file: string) {
    this.source = readFileSync(join(dir, 'lua', file), 'utf8');
  }

  run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    if (!this.definedOn.has(redis)) {
      redis.defineCommand(this.name, { lua: this.source });
      this.definedOn.add(redis);
    }
    const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[this.name];
    return command.call(redis, keys.length, ...keys, ...args);
  }
}
