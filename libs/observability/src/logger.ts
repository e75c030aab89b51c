import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** `LOG_FORMAT`: JSON lines for machines, a coloured one-line-per-event format for people. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * Structured logs, one line per event, tagged with the app that wrote them. `auto` (the
 * default of the apps) writes the human format when stdout is a terminal and JSON otherwise
 * (containers, pipes, log shippers). Child loggers add fields; they must not repeat `app`
 * (pino would write the key twice): one logger per app, from here.
 */
export function createLogger(app: string, level = process.env.LOG_LEVEL ?? 'info', format: LogFormat = 'json'): Logger {
  const options = { level, base: { app, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  const human = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!human) return pino(options);
  // Synchronous, in this thread: a crash never loses the lines that explain it.
  return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,app', messageFormat: '[{app}] {msg}', singleLine: true }));
}
