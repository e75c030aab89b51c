import { loadSync } from '@grpc/proto-loader';
import { CHAT_PROTO_LOADER, CHAT_PROTO_PATH } from './chat-proto';
import { encodeOncePerObject } from './shared-serializer';

describe('encodeOncePerObject', () => {
  const load = () => loadSync(CHAT_PROTO_PATH, { ...CHAT_PROTO_LOADER }) as unknown as Record<string, Record<string, { responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }>>;

  it('encodes one response object once for every stream, with the same bytes as before', () => {
    const plain = load();
    const shared = load();
    encodeOncePerObject(shared, 'chat.ChatService', 'ChatStream');
    const method = shared['chat.ChatService'].ChatStream;
    const event = { typing_updated: { room_id: 'r1', user_ids: ['u1'] } };
    const first = method.responseSerialize(event);
    expect(method.responseSerialize(event)).toBe(first);
    expect(first).toEqual(plain['chat.ChatService'].ChatStream.responseSerialize(event));
    expect(method.responseDeserialize(first)).toMatchObject({ event: 'typing_updated', typing_updated: { room_id: 'r1' } });
    expect(method.responseSerialize({ ...event })).not.toBe(first); // another object: encoded anew
  });

  it('refuses a method the definition does not have', () => {
    expect(() => encodeOncePerObject(load(), 'chat.ChatService', 'Nope')).toThrow('chat.ChatService/Nope is not in the package definition');
  });
});
