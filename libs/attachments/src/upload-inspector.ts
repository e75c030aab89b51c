import { ChatError, ErrorCode } from '@chat/protocol';
import { Transform, TransformCallback } from 'node:stream';
import { ContentType, HEAD_BYTES, isImageType, sniffBinaryType } from './content-type';
import { Dimensions, imageDimensions } from './image-dimensions';
import { Utf8TextDetector } from './utf8-text.detector';

/** What the bytes of an upload turned out to be. */
export interface InspectedFile extends Partial<Dimensions> {
  size: number;
  type: string;
}

/**
 * A pass-through the upload streams through on its way to storage: it counts the bytes and
 * fails the stream with TOO_LARGE the moment they pass `maxBytes` (nothing is held beyond the
 * head), keeps the first HEAD_BYTES for sniffing and image headers, and watches whether the
 * whole file is UTF-8 text.
 */
export class UploadInspector extends Transform {
  private size = 0;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private readonly text = new Utf8TextDetector();

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new ChatError(ErrorCode.TOO_LARGE, `the file is larger than ${this.maxBytes} bytes`));
      return;
    }
    if (this.headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headBytes);
      this.head.push(part);
      this.headBytes += part.length;
    }
    this.text.push(chunk);
    done(null, chunk);
  }

  /** Call once the stream has ended. */
  result(): InspectedFile {
    const head = Buffer.concat(this.head);
    const binary = sniffBinaryType(head);
    const type = binary ?? (this.text.isText() ? ContentType.TEXT : ContentType.BINARY);
    const dimensions = isImageType(type) ? imageDimensions(type, head) : undefined;
    return { size: this.size, type, ...dimensions };
  }
}
