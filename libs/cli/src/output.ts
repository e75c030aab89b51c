/** Kinds of lines, each with its colour on a terminal. */
export type LineKind = 'message' | 'mine' | 'info' | 'event' | 'error';

const COLOUR: Record<LineKind, string> = {
  message: '',
  mine: '\x1b[36m', // cyan
  info: '\x1b[2m', // dim
  event: '\x1b[33m', // yellow
  error: '\x1b[31m', // red
};
const RESET = '\x1b[0m';

/**
 * Where the chat writes: one line per call. Colours only on a terminal; into a pipe it writes
 * plain lines with no escape codes, so scripts can read it.
 */
export class Output {
  constructor(
    private readonly write: (text: string) => void,
    readonly isTerminal: boolean,
  ) {}

  line(kind: LineKind, text: string): void {
    const colour = this.isTerminal ? COLOUR[kind] : '';
    this.write(colour ? `${colour}${text}${RESET}\n` : `${text}\n`);
  }

  /** Clears the screen on a terminal; a pipe has no screen. */
  clear(): void {
    if (this.isTerminal) this.write('\x1b[2J\x1b[H');
  }
}
