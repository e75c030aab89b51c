import { Attachment, ChatError, ErrorCode, newAttachmentId } from '@chat/protocol';
import type { AttachmentRecord, AttachmentRepository } from '@chat/store';
import type { Logger } from '@chat/observability';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { AttachmentStorage, StoredObjectMissing } from './attachment-storage';
import { AttachmentsMetrics } from './attachments.metrics';
import { receiveUpload, UploadLimits } from './multipart-upload';

/** An upload's public description (the Message's attachment without `url`, which comes with a message). */
export type UploadedAttachment = Omit<Attachment, 'url'>;

/** An attachment being downloaded: what it is, and its bytes. */
export interface OpenedAttachment {
  attachment: AttachmentRecord;
  body: Readable;
}

/**
 * Uploads and downloads. An upload is spooled and inspected (size, sniffed type, image
 * size), stored under its new id, then recorded; a download is allowed to the members of the
 * room of the message that carries it — checked on every request, so leaving a room ends
 * access — or, before any message took it, to its owner alone.
 */
export class AttachmentsService {
  constructor(
    private readonly repository: Pick<AttachmentRepository, 'insert' | 'findForReader'>,
    private readonly storage: AttachmentStorage,
    private readonly limits: UploadLimits,
    private readonly metrics: AttachmentsMetrics,
    private readonly logger: Logger,
  ) {}

  async upload(ownerId: string, request: IncomingMessage): Promise<UploadedAttachment> {
    let file;
    try {
      file = await receiveUpload(request, this.limits);
    } catch (err) {
      this.metrics.uploads.inc({ outcome: outcomeOf(err) });
      throw err;
    }
    try {
      const id = newAttachmentId();
      await this.storage.put(id, createReadStream(file.path), file.size);
      let record: AttachmentRecord;
      try {
        record = await this.repository.insert({
          id,
          ownerId,
          name: file.name,
          size: file.size,
          type: file.type,
          width: file.width,
          height: file.height,
          storageKey: id,
        });
      } catch (err) {
        // Without its row nobody could reach (or sweep) the stored bytes.
        await this.storage.delete(id).catch((cause) => this.logger.warn({ err: cause, id }, 'stored bytes of a failed upload not removed'));
        throw err;
      }
      this.metrics.uploads.inc({ outcome: 'stored' });
      this.metrics.uploadBytes.observe(file.size);
      return describe(record);
    } catch (err) {
      this.metrics.uploads.inc({ outcome: 'failed' });
      throw err;
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /** The attachment and its bytes for `readerId` (see readableBy). */
  async open(readerId: string, id: string): Promise<OpenedAttachment> {
    const attachment = await this.readableBy(readerId, id);
    try {
      const body = await this.storage.get(attachment.storageKey);
      this.metrics.reads.inc({ outcome: 'served' });
      return { attachment, body };
    } catch (err) {
      if (!(err instanceof StoredObjectMissing)) throw err;
      // The row outlived its bytes (removed by hand, or a storage that lost them): say so in the log.
      this.metrics.reads.inc({ outcome: 'missing_bytes' });
      this.logger.error({ id, key: attachment.storageKey }, 'attachment bytes missing from storage');
      throw new ChatError(ErrorCode.NOT_FOUND, `attachment ${id} does not exist`);
    }
  }

  /**
   * The attachment if `readerId` may read it now; NOT_FOUND when unknown (or its message was
   * deleted), FORBIDDEN when they are not a member of its message's room (not its owner, before).
   */
  async readableBy(readerId: string, id: string): Promise<AttachmentRecord> {
    const found = await this.repository.findForReader(id, readerId);
    if (!found) {
      this.metrics.reads.inc({ outcome: 'not_found' });
      throw new ChatError(ErrorCode.NOT_FOUND, `attachment ${id} does not exist`);
    }
    if (!found.readable) {
      this.metrics.reads.inc({ outcome: 'forbidden' });
      throw new ChatError(
        ErrorCode.FORBIDDEN,
        found.attachment.message ? 'only members of the room can read this attachment' : 'only its owner can read an attachment not sent yet',
      );
    }
    return found.attachment;
  }
}

function describe(record: AttachmentRecord): UploadedAttachment {
  const described: UploadedAttachment = { id: record.id, name: record.name, size: record.size, type: record.type };
  if (record.width !== undefined) described.width = record.width;
  if (record.height !== undefined) described.height = record.height;
  return described;
}

function outcomeOf(err: unknown): string {
  if (!(err instanceof ChatError)) return 'failed';
  return err.code === ErrorCode.TOO_LARGE ? 'too_large' : 'refused';
}
