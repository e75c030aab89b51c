import { Counter, Histogram, oncePerProcess } from '@chat/observability';

/** Metrics of uploads and downloads (api). */
export const attachmentsMetrics = oncePerProcess(() => ({
  uploads: new Counter({
    name: 'chat_attachment_uploads_total',
    help: 'Uploads, by outcome (stored, too_large, refused: empty or not a form with a file, failed)',
    labelNames: ['outcome'],
  }),
  uploadBytes: new Histogram({
    name: 'chat_attachment_upload_bytes',
    help: 'Size of stored uploads',
    buckets: [1024, 16 * 1024, 128 * 1024, 1024 ** 2, 4 * 1024 ** 2, 16 * 1024 ** 2, 64 * 1024 ** 2, 256 * 1024 ** 2],
  }),
  reads: new Counter({
    name: 'chat_attachment_reads_total',
    help: 'Attachment downloads and link requests, by outcome (served, forbidden, not_found, missing_bytes)',
    labelNames: ['outcome'],
  }),
  swept: new Counter({
    name: 'chat_attachments_swept_total',
    help: 'Uploads removed with their bytes: never attached within UPLOAD_ORPHAN_TTL_MS, or of a deleted message',
  }),
}));

export type AttachmentsMetrics = ReturnType<typeof attachmentsMetrics>;
