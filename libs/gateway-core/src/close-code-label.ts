import { CloseCode } from '@chat/protocol';
import { GatewayCloseCode } from './close-codes';

/** Codes worth a series of their own: ours, and the RFC 6455 ones a client or uWS may use. */
const KNOWN = new Set<number>([1000, 1001, 1005, 1006, 1007, 1008, 1009, 1011, 1012, 1013, ...Object.values(CloseCode), ...Object.values(GatewayCloseCode)]);

/**
 * The `code` label of a close: a client picks any code from 1000 to 4999, so only known
 * codes get a label of their own and the rest share "other" (bounded cardinality).
 */
export function closeCodeLabel(code: number): string {
  return KNOWN.has(code) ? String(code) : 'other';
}
