import { z } from 'zod';
import { usernameString } from './safe-strings.schema';

/** `POST /api/bots` (docs/protocol.md "Bots"). Bots share the username space of people. */
export const BotCreateBody = z.object({ username: usernameString });
export type BotCreateBody = z.infer<typeof BotCreateBody>;

/** A bot as its owner sees it. */
export interface Bot {
  id: string;
  username: string;
  bot: true;
  ownerId: string;
  createdAt: string;
}

/** What creating a bot or rotating its token answers: the token is shown this once. */
export interface BotToken {
  bot: Bot;
  token: string;
  expiresAt: string;
}
