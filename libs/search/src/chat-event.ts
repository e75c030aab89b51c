import { ChatEventOf, ChatEventType } from '@chat/protocol';

/** One entry of `chat:events:{shard}`, decoded: its type and the data of that type's schema. */
export type ChatEvent = { [T in ChatEventType]: { type: T; data: ChatEventOf<T> } }[ChatEventType];
