import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ObservabilityModule, Readiness } from '@chat/observability';
import { PresenceService } from '@chat/presence';

/** Starts competing for the presence lease once Nest is up; hands it back on shutdown. */
@Injectable()
class PresenceLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(PresenceService) private readonly service: PresenceService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.service.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.service.stop();
  }
}

@Module({})
export class PresenceModule {
  static forRoot(service: PresenceService): DynamicModule {
    return {
      module: PresenceModule,
      imports: [ObservabilityModule.forRoot(service.readiness(new Readiness()))],
      providers: [{ provide: PresenceService, useValue: service }, PresenceLifecycle],
    };
  }
}
