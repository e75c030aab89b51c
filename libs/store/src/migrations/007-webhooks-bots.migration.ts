/**
 * Outgoing webhooks and bot accounts.
 *
 * - `webhooks`: a room's receivers, each a URL, the event types it wants and the secret its
 *   requests are signed with (HMAC-SHA256; shown to its creator once). `failure_count` counts
 *   failed delivery attempts in a row (a success resets it); at WEBHOOK_DISABLE_AFTER the
 *   webhook is disabled with `disabled_reason` until an owner or moderator re-enables it.
 * - `webhook_deliveries`: every attempt (event, try, status, outcome, error, duration), a
 *   bounded log per webhook: the service keeps the last WEBHOOK_LOG_SIZE.
 * - `users.bot` / `bot_owner_id` / `bot_deleted_at`: a bot is a user its owner created; its
 *   id starts with `bot` (libs/protocol isBotUserId), so authors and members are marked
 *   `bot` without a join. A deleted bot keeps its row (its messages and memberships refer to
 *   it) and its name; its tokens are revoked.
 */
export const up = `
ALTER TABLE users ADD COLUMN bot boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN bot_owner_id text REFERENCES users (id);
ALTER TABLE users ADD COLUMN bot_deleted_at timestamptz;
ALTER TABLE users ADD CONSTRAINT users_bot_owner CHECK (bot = (bot_owner_id IS NOT NULL));
CREATE INDEX users_bot_owner ON users (bot_owner_id) WHERE bot_owner_id IS NOT NULL;

CREATE TABLE webhooks (
  id              text PRIMARY KEY,
  room_id         text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  url             text NOT NULL,
  events          text[] NOT NULL,
  secret          text NOT NULL,
  created_by      text NOT NULL REFERENCES users (id),
  enabled         boolean NOT NULL DEFAULT true,
  failure_count   integer NOT NULL DEFAULT 0,
  disabled_reason text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_room ON webhooks (room_id) WHERE enabled;

CREATE TABLE webhook_deliveries (
  id          bigserial PRIMARY KEY,
  webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id    text NOT NULL,
  event_type  text NOT NULL,
  attempt     integer NOT NULL,
  status      integer,
  outcome     text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused')),
  error       text,
  duration_ms integer NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id DESC)
`;
