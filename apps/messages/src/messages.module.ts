import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ObservabilityModule, Readiness } from '@chat/observability';
import { MessagesService } from '@chat/messaging';

/** Starts the shard workers once Nest is up and stops them (handing shards back) on shutdown. */
@Injectable()
class MessagesLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(MessagesService) private readonly service: MessagesService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.service.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.service.stop();
  }
}

@Module({})
export class MessagesModule {
  static forRoot(service: MessagesService): DynamicModule {
    return {
      module: MessagesModule,
      imports: [ObservabilityModule.forRoot(service.readiness(new Readiness()))],
      providers: [{ provide: MessagesService, useValue: service }, MessagesLifecycle],
    };
  }
}
