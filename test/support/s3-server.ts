import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/**
 * An S3-compatible server on loopback for tests (s3rver: PutObject, GetObject, DeleteObject,
 * HeadBucket… with SigV4 checked against its fixed S3RVER/S3RVER key pair), one bucket,
 * objects in a temporary folder removed at close.
 */
export class TestS3Server {
  static readonly BUCKET = 'chat-attachments';

  private constructor(
    private readonly server: S3rver,
    readonly endpoint: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestS3Server> {
    const dir = mkdtempSync(join(tmpdir(), 's3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: TestS3Server.BUCKET }] });
    const { port } = await server.run();
    return new TestS3Server(server, `http://127.0.0.1:${port}`, dir);
  }

  /** What the apps need to use it (STORAGE=s3). */
  env(): Record<string, string> {
    return {
      STORAGE: 's3',
      S3_ENDPOINT: this.endpoint,
      S3_BUCKET: TestS3Server.BUCKET,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    };
  }

  async close(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
