import { ContentType, sniffBinaryType } from './content-type';
import { imageDimensions } from './image-dimensions';
import { SampleFiles } from '../../../test/support/sample-files';
import { UploadInspector } from './upload-inspector';

async function inspect(...chunks: Buffer[]) {
  const inspector = new UploadInspector(1024 * 1024);
  inspector.resume();
  for (const chunk of chunks) inspector.write(chunk);
  inspector.end();
  await new Promise((resolve) => inspector.once('end', resolve));
  return inspector.result();
}

describe('content sniffing and image dimensions', () => {
  it.each([
    ['png', SampleFiles.png(640, 480), ContentType.PNG, { width: 640, height: 480 }],
    ['gif', SampleFiles.gif(32, 16), ContentType.GIF, { width: 32, height: 16 }],
    ['jpeg', SampleFiles.jpeg(1920, 1080), ContentType.JPEG, { width: 1920, height: 1080 }],
    ['jpeg after 60 KB of EXIF', SampleFiles.jpeg(3000, 2000, 60_000), ContentType.JPEG, { width: 3000, height: 2000 }],
    ['webp lossy', SampleFiles.webp('VP8 ', 300, 200), ContentType.WEBP, { width: 300, height: 200 }],
    ['webp lossless', SampleFiles.webp('VP8L', 1000, 16383), ContentType.WEBP, { width: 1000, height: 16383 }],
    ['webp extended', SampleFiles.webp('VP8X', 5000, 7), ContentType.WEBP, { width: 5000, height: 7 }],
  ])('%s: type and size from the header', async (_name, bytes, type, size) => {
    expect(sniffBinaryType(bytes)).toBe(type);
    expect(imageDimensions(type, bytes)).toEqual(size);
    expect(await inspect(bytes)).toEqual({ size: bytes.length, type, ...size });
  });

  it('reads the header when it arrives in one-byte chunks', async () => {
    const bytes = SampleFiles.jpeg(800, 600, 100);
    expect(await inspect(...Array.from(bytes, (b) => Buffer.from([b])))).toEqual({ size: bytes.length, type: ContentType.JPEG, width: 800, height: 600 });
  });

  it('gives no dimensions for a truncated or zero-sized header, and still knows the type', async () => {
    expect(await inspect(SampleFiles.png(640, 480).subarray(0, 20))).toEqual({ size: 20, type: ContentType.PNG });
    expect(await inspect(SampleFiles.gif(0, 10))).toEqual({ size: 13, type: ContentType.GIF });
    expect(imageDimensions(ContentType.JPEG, Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBeUndefined();
  });

  it('knows pdf and zip by their first bytes', async () => {
    expect(await inspect(SampleFiles.pdf())).toEqual({ size: SampleFiles.pdf().length, type: ContentType.PDF });
    expect(await inspect(SampleFiles.zip())).toEqual({ size: 10, type: ContentType.ZIP });
  });

  it('calls UTF-8 without binary controls text, whatever the name says; anything else is octet-stream', async () => {
    const text = Buffer.from('héllo wörld 👋\r\n\ttabs and\fform feeds\n');
    expect((await inspect(text)).type).toBe(ContentType.TEXT);
    // A multi-byte character split between chunks is still text.
    expect((await inspect(text.subarray(0, 2), text.subarray(2))).type).toBe(ContentType.TEXT);
    expect((await inspect(Buffer.from([0x68, 0x69, 0xff, 0x0a]))).type).toBe(ContentType.BINARY); // invalid UTF-8
    expect((await inspect(Buffer.from('a\u0000b'))).type).toBe(ContentType.BINARY); // NUL
    expect((await inspect(Buffer.from('ok'), Buffer.from([0xe2, 0x82]))).type).toBe(ContentType.BINARY); // truncated at the end
    // HTML or SVG is text: never served as a page (see download headers).
    expect((await inspect(Buffer.from('<svg onload="alert(1)"/>'))).type).toBe(ContentType.TEXT);
  });

  it('fails the stream with TOO_LARGE as soon as the bytes pass the limit', async () => {
    const inspector = new UploadInspector(10);
    const failed = new Promise((resolve) => inspector.once('error', resolve));
    inspector.write(Buffer.alloc(6));
    inspector.write(Buffer.alloc(6));
    expect(await failed).toMatchObject({ code: 'TOO_LARGE', message: 'the file is larger than 10 bytes' });
  });
});
