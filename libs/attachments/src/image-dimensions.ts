import { ContentType } from './content-type';

export interface Dimensions {
  width: number;
  height: number;
}

/**
 * Width and height of a PNG, JPEG, GIF or WebP from the file's first bytes (its header; for
 * a JPEG, the first frame header among its segments). Undefined when the header is not there
 * or says 0: the image is stored and served all the same, just without dimensions.
 */
export function imageDimensions(type: string, head: Buffer): Dimensions | undefined {
  const found = READERS[type]?.(head);
  return found && found.width > 0 && found.height > 0 ? found : undefined;
}

const READERS: Record<string, (head: Buffer) => Dimensions | undefined> = {
  [ContentType.PNG]: (b) =>
    // Signature (8), IHDR length (4) and type (4), then width and height.
    b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR' ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : undefined,
  [ContentType.GIF]: (b) => (b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : undefined),
  [ContentType.WEBP]: webpDimensions,
  [ContentType.JPEG]: jpegDimensions,
};

function webpDimensions(b: Buffer): Dimensions | undefined {
  if (b.length < 30) return undefined;
  switch (b.toString('latin1', 12, 16)) {
    case 'VP8 ': // lossy: frame tag (3), start code 9d 01 2a, then 14-bit width and height
      if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
      return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    case 'VP8L': {
      // lossless: signature 0x2f, then width − 1 and height − 1 in 14 bits each
      if (b[20] !== 0x2f) return undefined;
      const bits = b.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X': // extended: canvas width − 1 and height − 1, 24 bits each
      return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    default:
      return undefined;
  }
}

// Start-of-frame markers (baseline, progressive, lossless, arithmetic…); not C4 (DHT), C8, CC (DAC).
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegDimensions(b: Buffer): Dimensions | undefined {
  let i = 2; // after SOI
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Markers without a length: TEM, RST0-7 (SOI would not appear here).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan data before any frame
    const length = b.readUInt16BE(i + 2);
    if (SOF.has(marker)) {
      // length (2), precision (1), height (2), width (2)
      return i + 9 <= b.length ? { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) } : undefined;
    }
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}
