import { crc32, deflateSync } from 'node:zlib';

/**
 * Smallest headers of each sniffed format, built byte by byte (libs/attachments unit tests,
 * the attachments end-to-end test): enough for sniffing and for the image readers.
 */
export const SampleFiles = {
  png(width: number, height: number): Buffer {
    const ihdr = Buffer.alloc(25);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4, 'latin1');
    ihdr.writeUInt32BE(width, 8);
    ihdr.writeUInt32BE(height, 12);
    ihdr.writeUInt8(8, 16); // bit depth; colour type, compression, filter, interlace 0; CRC left 0
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
  },

  /** A complete PNG a browser can draw: `width` × `height` pixels of one RGB colour. */
  decodablePng(width: number, height: number, rgb: [number, number, number] = [0, 122, 90]): Buffer {
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length, 0);
      head.write(type, 4, 'latin1');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
      return Buffer.concat([head, data, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
    const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
    const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', pixels),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  },

  gif(width: number, height: number): Buffer {
    const b = Buffer.alloc(13);
    b.write('GIF89a', 0, 'latin1');
    b.writeUInt16LE(width, 6);
    b.writeUInt16LE(height, 8);
    return b;
  },

  /** SOI, a JFIF APP0, an APP1 of `exifBytes` (EXIF before the frame header, as cameras write), SOF2. */
  jpeg(width: number, height: number, exifBytes = 0): Buffer {
    const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    const app1 = Buffer.alloc(4 + exifBytes);
    app1.writeUInt16BE(0xffe1, 0);
    app1.writeUInt16BE(2 + exifBytes, 2);
    const sof = Buffer.alloc(19);
    sof.writeUInt16BE(0xffc2, 0);
    sof.writeUInt16BE(17, 2);
    sof.writeUInt8(8, 4);
    sof.writeUInt16BE(height, 5);
    sof.writeUInt16BE(width, 7);
    return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...(exifBytes > 0 ? [app1] : []), Buffer.from([0xff]), sof, Buffer.from([0xff, 0xd9])]);
  },

  webp(kind: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
    const b = Buffer.alloc(40);
    b.write('RIFF', 0, 'latin1');
    b.writeUInt32LE(32, 4);
    b.write('WEBP', 8, 'latin1');
    b.write(kind, 12, 'latin1');
    if (kind === 'VP8 ') {
      b.set([0x9d, 0x01, 0x2a], 23);
      b.writeUInt16LE(width, 26);
      b.writeUInt16LE(height, 28);
    } else if (kind === 'VP8L') {
      b[20] = 0x2f;
      b.writeUInt32LE(((width - 1) | ((height - 1) << 14)) >>> 0, 21);
    } else {
      b.writeUIntLE(width - 1, 24, 3);
      b.writeUIntLE(height - 1, 27, 3);
    }
    return b;
  },

  pdf: (): Buffer => Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n', 'latin1'),
  zip: (): Buffer => Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]),
};
