import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { assertStorageKey, AttachmentStorage, StoredObjectMissing } from './attachment-storage';

export interface S3StorageOptions {
  /** Unset: AWS's own endpoint for the region. */
  endpoint?: string;
  bucket: string;
  region: string;
  /** Unset: the SDK's default chain (environment, instance or pod role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `http(s)://endpoint/bucket/key` instead of `bucket.endpoint` (MinIO and most self-hosted servers). */
  forcePathStyle: boolean;
}

/**
 * Uploads as objects of one bucket on S3 or an S3-compatible server (MinIO, Ceph, R2…), by
 * the AWS SDK v3. A put sends the length up front, so the body streams in one PutObject
 * (S3 commits an object whole or not at all). Checksums only where the API requires them:
 * the SDK's default streaming checksums (aws-chunked with trailers) are not spoken by every
 * S3-compatible server.
 */
export class S3Storage implements AttachmentStorage {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: options.credentials,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable, size: number): Promise<void> {
    assertStorageKey(key);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentLength: size, ContentType: 'application/octet-stream' }),
    );
  }

  async get(key: string): Promise<Readable> {
    assertStorageKey(key);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return object.Body as Readable;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') throw new StoredObjectMissing(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  async ready(): Promise<boolean> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    return true;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
