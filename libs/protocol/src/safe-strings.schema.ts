import { z } from 'zod';
import { MAX_SEQ, USERNAME_PATTERN } from './limits';

/**
 * String and number shapes every frame field is built from. They keep out of the services
 * what PostgreSQL would reject as a data error (NUL in text, a seq beyond its integer
 * column), so such input is the sender's BAD_REQUEST at the edge and never a failed batch.
 */

// Control characters (C0, DEL, C1): never part of an id or a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional embedding/override/isolate controls: they make a name read as something else.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
// Characters that draw nothing: a name made only of them looks empty.
const INVISIBLE = /[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u115f\u1160\u3164\uffa0]/g;

/** An id: 1..64 characters, none of them a control character. */
export const idString = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/** Free text (messages, reasons): anything but NUL, which PostgreSQL text cannot hold. */
export function freeText(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
}

/**
 * A display name or topic: NFC-normalised, bidi overrides and control characters removed,
 * trimmed; `minVisible` characters must remain once invisible ones are set aside.
 */
export function displayText(max: number, minVisible: number) {
  return z
    .string()
    .max(max * 4)
    .transform((s) => s.normalize('NFC').replace(BIDI, '').replace(new RegExp(CONTROL.source, 'g'), ' ').trim())
    .pipe(
      z
        .string()
        .max(max)
        .refine((s) => s.replace(INVISIBLE, '').trim().length >= minVisible, 'must contain visible characters'),
    );
}

/** A room's message number as stored (PostgreSQL integer). */
export const seqNumber = z.number().int().nonnegative().max(MAX_SEQ);

/**
 * A message id. Ids are opaque to clients, and one that is not ours simply names no message
 * (NOT_FOUND); but one of our shape (`<roomId>:<seq>`) whose seq could not fit the column is
 * refused here, before it could reach PostgreSQL as a data error.
 */
export const messageIdString = idString.refine((s) => {
  const digits = /:(\d+)$/.exec(s)?.[1];
  return digits === undefined || digits.length > 10 ? digits === undefined : Number(digits) <= MAX_SEQ;
}, 'names a seq beyond the largest a room can have');

/** A username as accounts are created and looked up with. */
export const usernameString = z
  .string()
  .regex(USERNAME_PATTERN, 'must be 2 to 32 characters: letters, digits, "_", "." or "-"');
