import { InternalOp, InternalOpData, OpDataOf, ReadOp, WriteOp } from '@chat/protocol';
import { z } from 'zod';
import { OpHandler } from './op-context';

type InternalDataOf<T extends keyof typeof InternalOpData> = z.output<(typeof InternalOpData)[T]>;

/**
 * The dispatch tables, typed by the protocol: an op of libs/protocol without a handler here
 * fails the build. `message.send` is not in them: runs of sends go to MessageSendHandler.
 */
export type WriteHandlers = { [O in Exclude<WriteOp, 'message.send'>]: OpHandler<OpDataOf<O>> };
export type ReadHandlers = { [O in ReadOp]: OpHandler<OpDataOf<O>> };

/** Gateway-internal ops the messages service answers on the room's (or user's) shard, in order. */
export type OrderedInternalHandlers = {
  [T in typeof InternalOp.CATCHUP | typeof InternalOp.SESSION_SYNC]: OpHandler<InternalDataOf<T>>;
};

/** How an op is run on the shard path: inside a fenced transaction when it writes. */
export interface Dispatch {
  handler: OpHandler<unknown>;
  writes: boolean;
}

export function shardDispatchTable(
  writes: WriteHandlers,
  reads: ReadHandlers,
  internal: OrderedInternalHandlers,
): ReadonlyMap<string, Dispatch> {
  const table = new Map<string, Dispatch>();
  for (const [op, handler] of Object.entries(writes)) table.set(op, { handler: handler as OpHandler<unknown>, writes: true });
  // Reads still answer here: a gateway of an older version may send them to the shard.
  for (const [op, handler] of Object.entries(reads)) table.set(op, { handler: handler as OpHandler<unknown>, writes: false });
  for (const [op, handler] of Object.entries(internal)) table.set(op, { handler: handler as OpHandler<unknown>, writes: false });
  return table;
}

export function readDispatchTable(reads: ReadHandlers): ReadonlyMap<string, Dispatch> {
  return new Map(Object.entries(reads).map(([op, handler]) => [op, { handler: handler as OpHandler<unknown>, writes: false }]));
}
