/**
 * Attachments: uploaded files' metadata (the bytes live behind libs/attachments' storage
 * port) and the copy each message carries.
 *
 * - `attachments`: one row per upload. `room_id`/`seq` stay NULL until a `message.send`
 *   claims it — in the statement that inserts the message, so an upload belongs to at most
 *   one message. No foreign key to messages: the claim and the insert are one statement, and
 *   messages are tombstoned, never removed. `deleted_at`: the message was deleted; the sweep
 *   removes such rows (and their bytes) with the never-claimed ones past their TTL.
 * - `messages.attachments`: the message's attachments as JSON (id, name, size, type, width,
 *   height), written with the row, so every read of a message (history, resume, search hits)
 *   has them without a join.
 * - `chat_attachments_claimed`: fails the insert statement (SQLSTATE CHA02) when an upload
 *   it should claim is gone, someone else's, or already claimed — by another send of the same
 *   statement or a concurrent one (the row lock orders them; the later one sees it claimed).
 */
export const up = `
CREATE TABLE attachments (
  id           text PRIMARY KEY,
  owner_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  size         bigint NOT NULL CHECK (size > 0),
  content_type text NOT NULL,
  width        int,
  height       int,
  storage_key  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  room_id      text,
  seq          int,
  deleted_at   timestamptz,
  CHECK ((room_id IS NULL) = (seq IS NULL))
);
CREATE INDEX attachments_message ON attachments (room_id, seq) WHERE room_id IS NOT NULL;
CREATE INDEX attachments_unclaimed ON attachments (created_at) WHERE room_id IS NULL;
CREATE INDEX attachments_deleted ON attachments (deleted_at) WHERE deleted_at IS NOT NULL;

ALTER TABLE messages ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]';

CREATE FUNCTION chat_attachments_claimed(ok boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'CHA02',
      MESSAGE = 'an attachment of this batch is gone, not its sender''s, or already used';
  END IF;
  RETURN true;
END
$$
`;
