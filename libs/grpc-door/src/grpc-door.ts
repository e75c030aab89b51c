import { status } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { DoorSession, OpenSessionOptions } from '@chat/door';
import { SessionPool } from '@chat/door';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { ChatStreamCall, serveChatStream } from './chat-stream';
import { CHAT_PROTO_LOADER, CHAT_PROTO_PATH } from './chat-proto';
import { ChatUnaryCalls } from './chat-unary-calls';
import { GrpcDoorMetrics } from './grpc-door.metrics';
import { encodeOncePerObject } from './shared-serializer';

export const CHAT_SERVICE = 'chat.ChatService';

/**
 * The gRPC door's logic, free of Nest: unary calls on pooled sessions, ChatStream on a
 * session of its own, grpc.health.v1 (SERVING while the door's readiness holds) and server
 * reflection, added to the server Nest's gRPC transport builds.
 */
export class GrpcDoor {
  readonly pool: SessionPool;
  readonly unary: ChatUnaryCalls;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [CHAT_SERVICE]: 'NOT_SERVING' });
  private readonly metrics = GrpcDoorMetrics.get();

  constructor(
    private readonly openSession: (token: string, options?: OpenSessionOptions) => DoorSession,
    private readonly limits: { sessionIdleMs: number; maxUnflushedBytes: number },
  ) {
    this.pool = new SessionPool((token) => openSession(token, { events: false }), limits.sessionIdleMs);
    this.unary = new ChatUnaryCalls(this.pool);
  }

  /** Counts a unary call's outcome and hands its result (or its GrpcStatusError) on. */
  async counted<T>(method: string, call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.metrics.calls.inc({ method, code: 'OK' });
      return result;
    } catch (err) {
      this.metrics.calls.inc({ method, code: status[(err as { code: status }).code] ?? 'UNKNOWN' });
      throw err;
    } finally {
      this.metrics.pooledSessions.set(this.pool.size);
    }
  }

  chatStream(call: ChatStreamCall): void {
    this.metrics.streams.inc();
    call.once('close', () => this.metrics.streams.dec());
    serveChatStream(call, (token) => this.openSession(token), this.limits.maxUnflushedBytes);
  }

  setServing(serving: boolean): void {
    const state = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', state);
    this.health.setStatus(CHAT_SERVICE, state);
  }

  /** The options of Nest's gRPC transport for this door, listening on `host:port`. */
  transportOptions(host: string, port: number) {
    return {
      url: `${host}:${port}`,
      package: 'chat',
      protoPath: CHAT_PROTO_PATH,
      loader: { ...CHAT_PROTO_LOADER },
      onLoadPackageDefinition: (definition: ConstructorParameters<typeof ReflectionService>[0], server: Parameters<HealthImplementation['addToServer']>[0]) => {
        encodeOncePerObject(definition as unknown as Record<string, unknown>, CHAT_SERVICE, 'ChatStream');
        // Reflection describes the health service too, so grpcurl can call it by name.
        new ReflectionService({ ...definition, ...loadSync(healthProtoPath) }).addToServer(server);
        this.health.addToServer(server);
      },
    };
  }

  close(): void {
    this.setServing(false);
    this.pool.close();
  }
}
