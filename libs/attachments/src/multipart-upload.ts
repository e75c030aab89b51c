import { ChatError, ErrorCode } from '@chat/protocol';
import busboy from 'busboy';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sanitizeFileName } from './file-name';
import { InspectedFile, UploadInspector } from './upload-inspector';

/** An upload received whole: its bytes in a temporary file (the caller removes it), what they are, its name. */
export interface ReceivedFile extends InspectedFile {
  path: string;
  name: string;
}

export interface UploadLimits {
  maxBytes: number;
  /** Where uploads are spooled while they arrive (under DATA_DIR). */
  spoolDir: string;
}

/** The form field that carries the file. */
export const FILE_FIELD = 'file';
// Room for the multipart framing around the file: boundaries, part headers, a few small fields.
const MULTIPART_OVERHEAD = 64 * 1024;

const badRequest = (message: string) => new ChatError(ErrorCode.BAD_REQUEST, message);

/**
 * Reads a `multipart/form-data` request with one file in the field `file`, streaming it to a
 * temporary file through an UploadInspector. Refuses at once a body whose declared length is
 * already too large, and stops reading the moment the file passes the limit (the caller
 * answers and closes the connection): a body is never held in memory. Other fields and
 * other files are read past and dropped.
 */
export function receiveUpload(request: IncomingMessage, limits: UploadLimits): Promise<ReceivedFile> {
  const declared = Number(request.headers['content-length']);
  if (declared > limits.maxBytes + MULTIPART_OVERHEAD) {
    return Promise.reject(new ChatError(ErrorCode.TOO_LARGE, `the file is larger than ${limits.maxBytes} bytes`));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      // Browsers send the file name as UTF-8 bytes; busboy's default would read them as Latin-1.
      defParamCharset: 'utf8',
      limits: { files: 1, fields: 16, fieldSize: 4096, parts: 32, headerPairs: 32 },
    });
  } catch {
    return Promise.reject(badRequest(`expected multipart/form-data with the file in the field "${FILE_FIELD}"`));
  }
  return new Promise<ReceivedFile>((resolve, reject) => {
    let spooling: Promise<ReceivedFile> | undefined;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      // Ends a file part still streaming (its spool file is removed by spool) …
      parser.destroy();
      // … and a file spooled by then is not handed to anyone: remove it.
      void spooling?.then((file) => rm(file.path, { force: true }), () => undefined);
      reject(err);
    };
    parser.on('file', (field, file, info) => {
      if (field !== FILE_FIELD || spooling) {
        file.resume();
        return;
      }
      spooling = spool(file, info.filename, limits);
      spooling.catch(fail); // fail fast: TOO_LARGE must not wait for the rest of the body
    });
    parser.on('error', (err: Error) => fail(badRequest(`malformed multipart body: ${err.message}`)));
    parser.on('close', () => {
      if (!spooling) return fail(badRequest(`no file in the field "${FILE_FIELD}"`));
      spooling.then((file) => {
        if (settled) return void rm(file.path, { force: true });
        settled = true;
        resolve(file);
      }, fail);
    });
    request.on('error', fail);
    // The client went away mid-body (nobody reads this answer; it only ends the work).
    request.on('close', () => request.complete || fail(badRequest('the upload was cut off')));
    request.pipe(parser);
  });
}

async function spool(file: Readable, filename: string | undefined, limits: UploadLimits): Promise<ReceivedFile> {
  await mkdir(limits.spoolDir, { recursive: true });
  const path = join(limits.spoolDir, `upload-${randomBytes(8).toString('hex')}`);
  const inspector = new UploadInspector(limits.maxBytes);
  try {
    await pipeline(file, inspector, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    const inspected = inspector.result();
    if (inspected.size === 0) throw badRequest('the file is empty');
    return { ...inspected, path, name: sanitizeFileName(filename) };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
