import type { Message, Reaction } from '@chat/protocol';

/** `HH:MM` of an ISO time, in the local time zone. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function reactionsText(reactions: Reaction[]): string {
  return reactions.map((r) => `${r.emoji} ${r.count}`).join(', ');
}

/**
 * One message as a line: `[seq] HH:MM author: text`, with what happened to it marked — a
 * reply names the seq it answers (`replyToSeq`, when known), edits and deletions are noted,
 * reactions follow in braces. Newlines in the text are shown as `⏎` to keep one line per message.
 */
export function messageLine(m: Message, replyToSeq?: number): string {
  const reply = m.replyTo === undefined ? '' : ` ↪ [${replyToSeq ?? '?'}]`;
  const body = m.deletedAt ? '(deleted)' : m.text.replace(/\r?\n/g, ' ⏎ ');
  const edited = m.editedAt && !m.deletedAt ? ' (edited)' : '';
  const reactions = m.reactions.length ? ` {${reactionsText(m.reactions)}}` : '';
  return `[${m.seq}] ${clock(m.createdAt)} ${m.author.username}${reply}: ${body}${edited}${reactions}`;
}
