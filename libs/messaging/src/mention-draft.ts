import { mentionedNames } from '@chat/protocol';
import { MemberState, MentionDraft } from '@chat/store';
import { canModerate } from './room-access';

/**
 * What a message's text mentions, as the store resolves it: the names, and `@room` only when
 * its author moderates the room (anyone else's `@room` is plain text).
 */
export function mentionDraft(text: string, author: MemberState): MentionDraft {
  const { names, room } = mentionedNames(text);
  return { names, room: room && canModerate(author) };
}
