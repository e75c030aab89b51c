import type { Logger } from '@chat/observability';
import type { AttachmentRepository } from '@chat/store';
import { AttachmentStorage } from './attachment-storage';
import { AttachmentsMetrics } from './attachments.metrics';

export interface SweepOptions {
  /** Uploads no message took within this long are removed. */
  orphanTtlMs: number;
  intervalMs: number;
  /** Rows claimed per statement. */
  batchSize?: number;
}

/**
 * Removes uploads nobody will use — never attached within the TTL, or of a deleted message —
 * rows first (the DELETE … RETURNING claims them, so replicas sweeping at once never share
 * one), then their bytes. A replica dying in between, or a delete the storage refuses,
 * leaves bytes no row points to: no reader can reach them; the latter are logged by key.
 */
export class OrphanSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly repository: Pick<AttachmentRepository, 'removeUnwanted'>,
    private readonly storage: AttachmentStorage,
    private readonly options: SweepOptions,
    private readonly metrics: AttachmentsMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweepSafely(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep to the end; how many uploads it removed. */
  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.options.orphanTtlMs);
    const batch = this.options.batchSize ?? 500;
    let removed = 0;
    for (;;) {
      const keys = await this.repository.removeUnwanted(before, batch);
      const results = await Promise.allSettled(keys.map((key) => this.storage.delete(key)));
      // Their rows are gone: name the keys so an operator can remove the bytes by hand.
      const kept = keys.filter((_key, i) => results[i].status === 'rejected');
      if (kept.length > 0) {
        const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
        this.logger.error({ keys: kept, err: reason }, 'bytes of removed attachments could not be deleted');
      }
      removed += keys.length;
      this.metrics.swept.inc(keys.length);
      if (keys.length < batch) return removed;
    }
  }

  private async sweepSafely(): Promise<void> {
    if (this.running) return; // the previous sweep is still going
    this.running = this.sweep();
    try {
      const removed = await this.running;
      if (removed > 0) this.logger.info({ removed }, 'unused attachments removed');
    } catch (err) {
      this.logger.warn({ err }, 'attachment sweep failed; the next one retries');
    } finally {
      this.running = undefined;
    }
  }
}
