/**
 * `npm run dead-letters -- <command>`: the operator's view of entries that failed on their own.
 *   list [stream]            every dead letter (of every stream when none is named), with its error
 *   replay <stream> <id>     put the entry back on its stream (once its cause is fixed)
 *   drop <stream> <id>       forget it
 * Reads REDIS_URL and SHARDS like the apps do.
 */
import { loadConfig } from '@chat/config';
import { createRedis } from '@chat/redis';
import { DeadLetters } from '@chat/streams';

async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  const redis = createRedis(config.redis.url, 'dead-letters-cli');
  const letters = new DeadLetters(redis);
  try {
    const [command = 'list', stream, id] = argv;
    if (command === 'list') {
      for (const s of stream ? [stream] : letters.streams(config.shards)) {
        for (const r of await letters.list(s, 1000)) {
          const frame = r.fields[r.fields.indexOf('f') + 1] ?? '';
          console.log(`${s}  ${r.id}  (was ${r.originalId}, ${r.at})\n  error: ${r.error}\n  frame: ${frame.slice(0, 300)}`);
        }
      }
    } else if (command === 'replay' && stream && id) {
      console.log(`replayed as ${await letters.replay(stream, id)} on ${stream}`);
    } else if (command === 'drop' && stream && id) {
      await letters.drop(stream, id);
      console.log(`dropped ${id}`);
    } else {
      console.error('usage: npm run dead-letters -- list [stream] | replay <stream> <id> | drop <stream> <id>');
      process.exitCode = 2;
    }
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(String((err as Error).message ?? err));
  process.exitCode = 1;
});
