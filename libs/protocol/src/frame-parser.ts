import { z } from 'zod';
import { ClientFrame, FrameHeader, isOp, Op, OpData, OpDataOf } from './client-frames.schema';
import { ErrorBody, ErrorCode } from './error-codes';

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; ref?: string; error: ErrorBody };

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function bad(message: string, ref?: string): ParsedFrame {
  return { ok: false, ref, error: { code: ErrorCode.BAD_REQUEST, message } };
}

/**
 * Parses one client text frame. Never throws: anything wrong becomes a BAD_REQUEST that
 * keeps the frame's `ref` when one could be read, so the client can match the error.
 */
export function parseClientFrame(raw: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return bad('frame is not valid JSON');
  }
  const header = FrameHeader.safeParse(json);
  if (!header.success) {
    const ref = typeof (json as { ref?: unknown })?.ref === 'string' ? (json as { ref: string }).ref : undefined;
    return bad(`bad frame: ${describe(header.error)}`, ref && ref.length <= 64 ? ref : undefined);
  }
  const { type, ref, data } = header.data;
  if (!isOp(type)) return bad(`unknown type "${type.slice(0, 64)}"`, ref);
  const parsed = parseOpData(type, data);
  if (!parsed.ok) return bad(`bad data for ${type}: ${parsed.message}`, ref);
  return { ok: true, frame: { type, ref, data: parsed.data } as ClientFrame };
}

/** Validates `data` of a known op; used again by services on every consumed stream entry. */
export function parseOpData<O extends Op>(
  op: O,
  data: unknown,
): { ok: true; data: OpDataOf<O> } | { ok: false; message: string } {
  const result = OpData[op].safeParse(data ?? (op === 'ping' || op === 'room.list' ? undefined : {}));
  return result.success
    ? { ok: true, data: result.data as OpDataOf<O> }
    : { ok: false, message: describe(result.error) };
}
