import { Message } from '@chat/protocol';
import { ChatEvent } from './chat-event';

/** A message version to store, unless the index already holds a newer one or a tombstone. */
export interface IndexedMessage {
  roomId: string;
  seq: number;
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  createdAt: string;
  editedAt: string | null;
}

export interface DeletedMessage {
  roomId: string;
  seq: number;
  id: string;
}

/** What one batch of events does to the index: at most one change per (room, seq). */
export interface IndexChanges {
  upserts: IndexedMessage[];
  deletions: DeletedMessage[];
}

/**
 * Folds a batch of events into one change per message, so each change can go into one
 * multi-row statement (PostgreSQL refuses to upsert the same key twice in one statement).
 * Within the batch the same rules hold as against the stored rows: a deletion wins over any
 * version, and a newer version (editedAt, else createdAt) wins over an older one; on a tie
 * the later event wins. Member events change nothing: membership is read at query time.
 */
export function foldEvents(events: readonly ChatEvent[]): IndexChanges {
  const upserts = new Map<string, IndexedMessage>();
  const deletions = new Map<string, DeletedMessage>();
  for (const event of events) {
    switch (event.type) {
      case 'message.created':
      case 'message.updated': {
        const m = event.data.message;
        const key = keyOf(m.roomId, m.seq);
        // A version that is itself a tombstone (deletedAt set) is a deletion.
        if (m.deletedAt) {
          deletions.set(key, { roomId: m.roomId, seq: m.seq, id: m.id });
          upserts.delete(key);
          break;
        }
        if (deletions.has(key)) break;
        const current = upserts.get(key);
        const next = toIndexed(m);
        if (!current || versionOf(next) >= versionOf(current)) upserts.set(key, next);
        break;
      }
      case 'message.deleted': {
        const { roomId, seq, id } = event.data;
        const key = keyOf(roomId, seq);
        deletions.set(key, { roomId, seq, id });
        upserts.delete(key);
        break;
      }
      case 'member.joined':
      case 'member.left':
        break;
    }
  }
  return { upserts: [...upserts.values()], deletions: [...deletions.values()] };
}

function toIndexed(m: Message): IndexedMessage {
  return {
    roomId: m.roomId,
    seq: m.seq,
    id: m.id,
    authorId: m.author.id,
    authorName: m.author.username,
    text: m.text,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
  };
}

/** Milliseconds of the version: the last edit, else the creation. */
function versionOf(m: IndexedMessage): number {
  return Date.parse(m.editedAt ?? m.createdAt);
}

function keyOf(roomId: string, seq: number): string {
  return `${roomId}\u0000${seq}`;
}
