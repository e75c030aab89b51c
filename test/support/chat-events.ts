import { ChatEventData, ChatEventType, isChatEventType } from '@chat/protocol';
import { Effect } from '@chat/streams';

export interface AppendedChatEvent {
  stream: string;
  type: ChatEventType;
  data: unknown;
}

/**
 * The chat events a batch's effects would append (XADD on `chat:events:{shard}`), each
 * checked against its ChatEventData schema: a payload the consumers would refuse fails here.
 */
export function chatEventsOf(out: { list: Effect[] }): AppendedChatEvent[] {
  return out.list
    .filter(([command, key]) => command === 'xadd' && key.startsWith('chat:events:'))
    .map(([, stream, ...args]) => {
      const fields = args.slice(args.indexOf('*') + 1);
      const get = (name: string) => fields[fields.indexOf(name) + 1];
      const type = get('type');
      if (!isChatEventType(type)) throw new Error(`not a chat event type: ${type}`);
      if (!/^\d+$/.test(get('t'))) throw new Error(`chat event ${type} without a time`);
      const data = ChatEventData[type].parse(JSON.parse(get('data')));
      return { stream, type, data };
    });
}
