import { z } from 'zod';

/** A bot id in a path; ids are opaque, an unknown one (or another user's bot) is a 404. */
export const BotIdParam = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a bot id');
