import { ChannelOptions, credentials, loadPackageDefinition, Metadata, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { CHAT_PROTO_LOADER, CHAT_PROTO_PATH } from './chat-proto';

/**
 * A @grpc/grpc-js client of chat.ChatService built from proto/chat.proto, for Node callers of
 * the door (the e2e tests, the benchmark). Methods are grpc-js's own (callbacks, streams).
 * grpc-js shares one connection between clients of the same address; pass
 * `{ 'grpc.use_local_subchannel_pool': 1 }` for a connection of the client's own.
 */
export function createChatGrpcClient(address: string, options: ChannelOptions = {}) {
  const definition = loadPackageDefinition(loadSync(CHAT_PROTO_PATH, { ...CHAT_PROTO_LOADER }));
  const ChatService = (definition.chat as { ChatService: ServiceClientConstructor }).ChatService;
  return new ChatService(address, credentials.createInsecure(), options);
}

/** `authorization: Bearer <token>` metadata. */
export function bearerMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}
