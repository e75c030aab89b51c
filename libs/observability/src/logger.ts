import pino, { Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs, one line per event, tagged with the app that wrote them. */
export function createLogger(app: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
