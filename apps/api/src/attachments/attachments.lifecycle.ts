import { AttachmentStorage, OrphanSweeper } from '@chat/attachments';
import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/** Runs the orphan sweep while the app runs, and releases the storage client when it stops. */
export class AttachmentsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly sweeper: OrphanSweeper,
    private readonly storage: AttachmentStorage,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.storage.close();
  }
}
