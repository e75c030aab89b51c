// C0 controls other than tab, line feed, form feed and carriage return, and DEL: binary data.
const BINARY_CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

/**
 * Whether a stream of bytes is plain text: valid UTF-8 from first byte to last, without the
 * control characters text files do not hold. Fed chunk by chunk, so a file is never held
 * whole; a sequence split across chunks is decoded across them.
 */
export class Utf8TextDetector {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private text = true;

  push(chunk: Buffer): void {
    if (!this.text) return;
    try {
      if (BINARY_CONTROL.test(this.decoder.decode(chunk, { stream: true }))) this.text = false;
    } catch {
      this.text = false;
    }
  }

  /** True when every byte pushed was text; ends the stream (a truncated sequence at the end is not). */
  isText(): boolean {
    if (!this.text) return false;
    try {
      this.decoder.decode();
      return true;
    } catch {
      return false;
    }
  }
}
