/**
 * Push notifications: mentions stored on messages, a notification level per membership,
 * and the browsers' Web Push subscriptions.
 *
 * - `messages.mentions`: user ids of the members the text named (`@username`), resolved by
 *   the messages service when it stores (or edits) the message; `mentions_room`: `@room` by a
 *   moderator or the owner.
 * - `room_members.notify_level`: NULL until the member chooses; `chat_notify_level` gives the
 *   effective level (the default depends on the room's kind) so every query agrees.
 * - `push_subscriptions`: a user's browsers, each an endpoint (a URL its push service gave
 *   it) with its keys. Keyed by (user, endpoint), not endpoint alone: someone who learns
 *   another user's endpoint cannot move that subscription to themselves. A browser shared
 *   by two accounts has a row for each until one unsubscribes (the client does at sign-out).
 */
export const up = `
ALTER TABLE messages ADD COLUMN mentions text[] NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN mentions_room boolean NOT NULL DEFAULT false;

ALTER TABLE room_members ADD COLUMN notify_level text CHECK (notify_level IN ('all', 'mentions', 'none'));

CREATE FUNCTION chat_notify_level(chosen text, kind text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT COALESCE(chosen, CASE WHEN kind = 'dm' THEN 'all' ELSE 'mentions' END) $$;

CREATE TABLE push_subscriptions (
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  endpoint   text NOT NULL,
  p256dh     text NOT NULL,
  auth       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, endpoint)
);
CREATE INDEX push_subscriptions_endpoint ON push_subscriptions (endpoint)
`;
