import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * proto/chat.proto at the repository root (the image copies it there too), found from this
 * file whether it runs from source (jest) or from dist/.
 */
function findChatProto(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto', 'chat.proto');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('proto/chat.proto not found above ' + __dirname);
    dir = up;
  }
}

export const CHAT_PROTO_PATH = findChatProto();

/**
 * How the door (and its clients in tests and the bench) load the proto: snake_case field
 * names as written, 64-bit numbers as JS numbers, defaults filled in, and for each oneof a
 * field naming the member that is set.
 */
export const CHAT_PROTO_LOADER = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;
