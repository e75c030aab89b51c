import { z } from 'zod';

/**
 * A room id in a path: what the `roomId` of an op accepts (1–64 characters), without control
 * characters (rejected before routing as well). Ids are opaque: an unknown one is a 404.
 */
export const RoomIdParam = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
