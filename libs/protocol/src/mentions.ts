/**
 * `@username` mentions in message text. The messages service resolves the names against the
 * room's members when it stores a message (`Message.mentions`: their user ids); clients use
 * the same parser to highlight them.
 *
 * A mention is `@` + a username (USERNAME_PATTERN's characters) not preceded by a username
 * character or `@`, so `bob@example.com` mentions nobody. A name may end a sentence
 * ("thanks @bob."): a trailing dot is tried both ways. `@room` is the room mention (everyone;
 * honoured for moderators and the owner only), never a user named "room".
 */
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{2,32})(?![A-Za-z0-9_-])/g;

/** The word of the room mention. */
export const ROOM_MENTION = 'room';

/** At most this many distinct names of one message are resolved (a wall of @s is not a directory scan). */
export const MAX_MENTIONS = 50;

export interface MentionedNames {
  /** Lower-cased usernames named, each once, at most MAX_MENTIONS. */
  names: string[];
  /** Whether `@room` appears. */
  room: boolean;
}

export function mentionedNames(text: string): MentionedNames {
  const names = new Set<string>();
  let room = false;
  for (const match of text.matchAll(MENTION)) {
    const name = match[1].toLowerCase();
    const bare = name.replace(/\.+$/, '');
    if (name === ROOM_MENTION || bare === ROOM_MENTION) {
      room = true;
      continue;
    }
    for (const candidate of new Set([name, bare])) {
      if (candidate.length >= 2 && names.size < MAX_MENTIONS) names.add(candidate);
    }
  }
  return { names: [...names], room };
}
