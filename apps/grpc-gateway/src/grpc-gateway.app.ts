import { Config } from '@chat/config';
import { startDoorGateway } from '@chat/door';
import { GrpcDoor } from '@chat/grpc-door';
import { Logger, Readiness, startServiceApp } from '@chat/observability';
import { Transport } from '@nestjs/microservices';
import { ChatGrpcController } from './chat-grpc.controller';

/**
 * Boots the gRPC door: a door gateway (its own gateway id, `grpc-<GATEWAY_ID>`), the gRPC
 * server on GRPC_PORT (Nest's gRPC transport, with reflection and grpc.health.v1) and the
 * HTTP side (/healthz, /readyz, /metrics) on GRPC_HTTP_PORT.
 */
export async function startGrpcGateway(config: Config, logger: Logger) {
  const doorGateway = await startDoorGateway(config, logger, { idPrefix: 'grpc' });
  const door = new GrpcDoor(doorGateway.openSession, { sessionIdleMs: config.door.sessionIdleMs, maxUnflushedBytes: config.door.maxQueuedBytes });
  const readiness = doorGateway.readiness(new Readiness());
  // grpc.health.v1 says what /readyz says, for clients and balancers that speak gRPC only.
  const healthTimer = setInterval(() => void readiness.report().then((r) => door.setServing(r.ready), () => door.setServing(false)), 2000);
  healthTimer.unref();
  const app = await startServiceApp(
    {
      start: async () => door.setServing(true),
      stop: async () => {
        clearInterval(healthTimer);
        door.close();
        await doorGateway.close();
      },
      readiness: () => readiness,
    },
    { port: config.grpc.httpPort, host: config.host, logger },
    {
      controllers: [ChatGrpcController],
      providers: [{ provide: GrpcDoor, useValue: door }],
      beforeListen: async (nest) => {
        nest.connectMicroservice({ transport: Transport.GRPC, options: door.transportOptions(config.host, config.grpc.port) }, { inheritAppConfig: true });
        await nest.startAllMicroservices();
      },
    },
  );
  logger.info({ grpcPort: config.grpc.port, httpPort: app.port, gatewayId: doorGateway.id }, 'grpc gateway listening');
  return { port: app.port, grpcPort: config.grpc.port, door, doorGateway, close: app.close };
}
