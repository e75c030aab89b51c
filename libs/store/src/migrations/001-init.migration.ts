/** Users, rooms, memberships and messages. A message's id is `${room_id}:${seq}`. */
export const up = `
CREATE TABLE users (
  id            text PRIMARY KEY,
  username      text NOT NULL,
  password_hash text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE rooms (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  topic        text NOT NULL DEFAULT '',
  kind         text NOT NULL CHECK (kind IN ('public', 'private', 'dm')),
  created_by   text NOT NULL REFERENCES users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seq     integer NOT NULL DEFAULT 0,
  member_count integer NOT NULL DEFAULT 0
);
CREATE INDEX rooms_public ON rooms (created_at) WHERE kind = 'public';

CREATE TABLE room_members (
  room_id       text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id       text NOT NULL REFERENCES users (id),
  role          text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'moderator', 'member')),
  joined_at     timestamptz NOT NULL DEFAULT now(),
  last_read_seq integer NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

CREATE TABLE messages (
  room_id       text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  seq           integer NOT NULL,
  author_id     text NOT NULL,
  author_name   text NOT NULL,
  text          text NOT NULL,
  client_msg_id text,
  reply_to      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  edited_at     timestamptz,
  deleted_at    timestamptz,
  PRIMARY KEY (room_id, seq)
);
CREATE UNIQUE INDEX messages_client_msg_key ON messages (author_id, client_msg_id);
`;
