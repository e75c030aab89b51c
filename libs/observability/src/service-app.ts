import { BeforeApplicationShutdown, DynamicModule, INestApplication, Inject, Injectable, Module, OnApplicationBootstrap, Provider, Type } from '@nestjs/common';
import { Logger } from './logger';
import { ObservabilityModule } from './observability.module';
import { PinoNestLogger } from './pino-nest.logger';
import { Readiness } from './readiness';

/** A background service run inside a Nest app: started once Nest is up, stopped on shutdown. */
export interface ServiceAppService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Adds the checks `/readyz` answers with. */
  readiness(readiness: Readiness): Readiness;
}

const SERVICE = Symbol('ServiceAppService');

/** Starts the service once Nest is up and stops it (handing its leases back) before shutdown. */
@Injectable()
class ServiceLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(SERVICE) private readonly service: ServiceAppService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.service.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.service.stop();
  }
}

/** The whole Nest side of a service app: `/healthz`, `/readyz`, `/metrics` and the service's lifecycle. */
@Module({})
export class ServiceAppModule {
  static forRoot(service: ServiceAppService, extra: ServiceAppExtras = {}): DynamicModule {
    return {
      module: ServiceAppModule,
      imports: [ObservabilityModule.forRoot(service.readiness(new Readiness()))],
      controllers: extra.controllers ?? [],
      providers: [{ provide: SERVICE, useValue: service }, ServiceLifecycle, ...(extra.providers ?? [])],
    };
  }
}

/** What a service adds to its Nest app (the search service: its event handlers). */
export interface ServiceAppExtras {
  controllers?: Type<unknown>[];
  providers?: Provider[];
  /** Runs once the app is built, before it listens (connect a microservice transport here). */
  beforeListen?: (app: INestApplication) => Promise<void>;
}

export interface ServiceAppOptions {
  port: number;
  host: string;
  logger: Logger;
}

/** Boots a service with its HTTP side (health, readiness, metrics) on `port` at `host`. */
export async function startServiceApp(
  service: ServiceAppService,
  { port, host, logger }: ServiceAppOptions,
  extra: ServiceAppExtras = {},
): Promise<{ port: number; close(): Promise<void> }> {
  // Loaded here rather than at the top: the gateway uses this library too and runs no Nest app.
  const { NestFactory } = await import('@nestjs/core');
  const app = await NestFactory.create(ServiceAppModule.forRoot(service, extra), { logger: new PinoNestLogger(logger) });
  await extra.beforeListen?.(app);
  await app.listen(port, host);
  const address = app.getHttpServer().address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => app.close(),
  };
}
