import { ChatEventData, ChatEventType, isChatEventType } from '@chat/protocol';

/** One `chat:events:{shard}` entry, decoded and checked against its ChatEventData schema. */
export interface ChatEventEntry {
  type: ChatEventType;
  data: unknown;
  /** When the producer appended it (ms since epoch). */
  t: number;
}

export type DecodedEntry = { ok: true; event: ChatEventEntry } | { ok: false; error: string };

/**
 * Decodes an entry's fields (`type`, `data` JSON, `t`). The stream is a trust boundary like
 * any other: an entry that is not a valid chat event is refused here, never handed to a handler.
 */
export function decodeChatEventEntry(fields: string[]): DecodedEntry {
  const get = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  const type = get('type');
  if (type === undefined || !isChatEventType(type)) return { ok: false, error: `not a chat event type: ${String(type)}` };
  const t = Number(get('t'));
  if (!Number.isFinite(t)) return { ok: false, error: `${type}: no valid t` };
  let json: unknown;
  try {
    json = JSON.parse(get('data') ?? '');
  } catch {
    return { ok: false, error: `${type}: data is not JSON` };
  }
  const parsed = ChatEventData[type].safeParse(json);
  if (!parsed.success) return { ok: false, error: `${type}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { ok: true, event: { type, data: parsed.data, t } };
}
