import { idString } from '@chat/protocol';
import { z } from 'zod';

/** An attachment id in a path (opaque: an unknown one is a 404). */
export const AttachmentIdParam = idString;

/** A signed link's query (AttachmentLinks): all three, or none (then a Bearer token is needed). */
export const AttachmentLinkQuery = z
  .object({
    user: idString.optional(),
    expires: z.string().regex(/^\d{1,12}$/, 'must be a whole number').transform(Number).optional(),
    sig: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be base64url').optional(),
  })
  .refine((q) => [q.user, q.expires, q.sig].every((v) => v === undefined) || [q.user, q.expires, q.sig].every((v) => v !== undefined), {
    message: 'a signed link has user, expires and sig',
  });
export type AttachmentLinkQuery = z.infer<typeof AttachmentLinkQuery>;
