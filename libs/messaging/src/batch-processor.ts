import { ChatError, ClientFrame, decodeInternalOp, envelopeFromFields, ErrorCode, parseClientFrame, userRef } from '@chat/protocol';
import { Logger } from '@chat/observability';
import { StreamEntry } from '@chat/redis';
import { WriteFence } from '@chat/store';
import { BatchContext, BatchHandler, ChatEffects, internalErrorReply, isFencedError, isTransientError, unavailableReplies } from '@chat/streams';
import { MessageSendHandler, SendItem } from './handlers/message-send.handler';
import { MessagingMetrics } from './messaging.metrics';
import { failAlone, OpContext } from './op-context';
import { Dispatch } from './op-table';

interface DecodedOp {
  ctx: OpContext;
  type: string;
  data: unknown;
}

/** Runs a write op's handler in one transaction that checks the shard's fence (fencedTransaction). */
export type FencedRunner = (fence: WriteFence, fn: () => Promise<void>) => Promise<void>;

/**
 * Turns one batch of stream entries into effects. Entries are handled in stream order; each
 * run of consecutive `message.send` entries goes to the send handler as one transaction.
 * Every entry is validated again here (the stream is a trust boundary too).
 * - An op's own refusal (ChatError) is answered to its sender.
 * - An op's own failure (anything else, not transient): the op's transaction rolled back, its
 *   sender gets INTERNAL and the entry goes to the dead-letter stream; the batch goes on.
 * - A transient failure (database or Redis away) or a fence throws: the worker retries the
 *   batch, or stops, without acknowledging anything.
 * Used twice: on the shard path (writes fenced, in order) and on the read path (no writes).
 * On the shard path the batch's durable changes go to its shard's event stream
 * (`chat:events:{shard}`), in the same fenced commit as its live events; the read path has
 * no event stream (it changes nothing).
 */
export class BatchProcessor implements BatchHandler {
  constructor(
    private readonly table: ReadonlyMap<string, Dispatch>,
    private readonly send: MessageSendHandler | undefined,
    private readonly runFenced: FencedRunner,
    private readonly onOpFailed: () => void,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    /** S, and the entries each shard's event stream keeps (EVENTS_MAXLEN). */
    private readonly scope: { shards: number; eventsMaxLen: number },
  ) {}

  async process(
    stream: string,
    entries: StreamEntry[],
    batch: Pick<BatchContext, 'redelivered'> & { fence?: WriteFence; answered?: ReadonlySet<string> },
  ): Promise<ChatEffects> {
    const { shards, eventsMaxLen } = this.scope;
    const out = new ChatEffects({ shards, batch: batch.fence ? { shard: batch.fence.shard, eventsMaxLen } : undefined });
    const ops = entries.map((e) => this.decode(stream, e, batch, out));
    for (let i = 0; i < ops.length; ) {
      const op = ops[i];
      if (op?.type !== 'message.send' || !this.send) {
        if (op) await this.dispatch(op);
        i++;
        continue;
      }
      const run: SendItem[] = [];
      for (; i < ops.length && (ops[i] === undefined || ops[i]!.type === 'message.send'); i++) {
        const item = ops[i];
        if (item) run.push({ ctx: item.ctx, data: item.data as SendItem['data'] });
      }
      await this.send.handleBatch(run);
      this.metrics.opsProcessed.inc({ op: 'message.send', outcome: 'done' }, run.length);
    }
    return out;
  }

  deadLettered(_stream: string, entry: StreamEntry): ChatEffects {
    return internalErrorReply(entry);
  }

  unavailable(_stream: string, entries: StreamEntry[], retryAfterMs: number): ChatEffects {
    return unavailableReplies(entries, retryAfterMs);
  }

  private decode(
    stream: string,
    entry: StreamEntry,
    batch: { redelivered: boolean; fence?: WriteFence; answered?: ReadonlySet<string> },
    out: ChatEffects,
  ): DecodedOp | undefined {
    let env;
    try {
      env = envelopeFromFields(entry.fields);
    } catch (err) {
      // Nobody to answer: the entry did not come from a gateway. Drop it, loudly.
      this.logger.error({ stream, id: entry.id, err }, 'malformed stream entry dropped');
      return undefined;
    }
    const ctx: OpContext = {
      env,
      user: userRef(env.u, env.n),
      out,
      entry: { stream, id: entry.id, fields: entry.fields },
      entryKey: `${stream}#${entry.id}`,
      redelivered: batch.redelivered,
      fence: batch.fence,
    };
    const internal = decodeInternalOp(env.f);
    if (internal) return internal.valid ? { ctx, type: internal.type, data: internal.data } : undefined;
    const parsed = parseClientFrame(env.f);
    const ref = parsed.ok ? parsed.frame.ref : parsed.ref;
    if (ref !== undefined && batch.answered?.has(entry.id)) out.alreadyAnswered(env, ref);
    if (!parsed.ok) {
      out.replyError(env, parsed.ref, parsed.error);
      return undefined;
    }
    const frame: ClientFrame = parsed.frame;
    ctx.ref = frame.ref;
    return { ctx, type: frame.type, data: frame.data };
  }

  private async dispatch(op: DecodedOp): Promise<void> {
    const { ctx } = op;
    const entry = this.table.get(op.type);
    const mark = ctx.out.mark();
    try {
      if (!entry) throw new ChatError(ErrorCode.BAD_REQUEST, `op ${op.type} is not handled on this stream`);
      if (!entry.writes) await entry.handler.handle(ctx, op.data);
      else if (!ctx.fence) throw new ChatError(ErrorCode.BAD_REQUEST, `op ${op.type} is not handled on this stream`);
      else await this.runFenced(ctx.fence, () => entry.handler.handle(ctx, op.data));
      this.metrics.opsProcessed.inc({ op: op.type, outcome: 'done' });
    } catch (err) {
      // The op's transaction rolled back: nothing it meant to publish may go out.
      ctx.out.rollbackTo(mark);
      if (err instanceof ChatError) {
        ctx.out.replyError(ctx.env, ctx.ref, err.toBody());
        this.metrics.opsProcessed.inc({ op: op.type, outcome: err.code });
        return;
      }
      // Its transaction rolled back, but it may have touched in-memory state on the way.
      this.onOpFailed();
      if (isTransientError(err) || isFencedError(err)) throw err;
      this.logger.error({ err, op: op.type, user: ctx.user.id, id: ctx.entry.id }, 'op failed on its own; dead-lettering it');
      failAlone(ctx, err);
      this.metrics.opsProcessed.inc({ op: op.type, outcome: ErrorCode.INTERNAL });
    }
  }
}
