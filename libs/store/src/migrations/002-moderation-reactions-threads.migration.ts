/** Mutes, bans, reactions, and the index that serves thread views. */
export const up = `
ALTER TABLE room_members ADD COLUMN muted_until timestamptz;

CREATE TABLE room_bans (
  room_id    text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (id),
  banned_by  text NOT NULL,
  reason     text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);

CREATE TABLE reactions (
  room_id    text NOT NULL,
  seq        integer NOT NULL,
  user_id    text NOT NULL,
  emoji      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES messages (room_id, seq) ON DELETE CASCADE
);

CREATE INDEX messages_thread ON messages (room_id, reply_to, seq) WHERE reply_to IS NOT NULL
`;
