import type { Config } from '@chat/config';
import { join } from 'node:path';
import { AttachmentStorage } from './attachment-storage';
import { LocalDiskStorage } from './local-disk.storage';
import { S3Storage } from './s3.storage';

/** The storage backend `STORAGE` names: files under `DATA_DIR/attachments`, or the S3 bucket. */
export function openAttachmentStorage(config: Config['attachments']): AttachmentStorage {
  return config.storage === 's3' ? new S3Storage(config.s3) : new LocalDiskStorage(join(config.dataDir, 'attachments'));
}
