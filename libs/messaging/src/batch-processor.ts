import {
  ChatError,
  ClientFrame,
  Envelope,
  envelopeFromFields,
  ErrorCode,
  decodeInternalOp,
  parseClientFrame,
} from '@chat/protocol';
import { Logger } from '@chat/observability';
import { StreamEntry } from '@chat/redis';
import { MessageSendHandler, SendItem } from './handlers/message-send.handler';
import { MessagingMetrics } from './messaging.metrics';
import { OpContext, OpHandler } from './op-context';
import { isTransientError, Outbox } from '@chat/streams';

/** Handlers by op; each validates its own `data` type, so the map holds them type-erased. */
export type OpHandlers = Record<string, OpHandler<any>>;

interface DecodedOp {
  ctx: OpContext;
  type: string;
  data: unknown;
}

/**
 * Turns one batch of stream entries into effects. Entries are handled in stream order; each
 * run of consecutive `message.send` entries goes to the send handler as one transaction.
 * Every entry is validated again here (the stream is a trust boundary too). An op's own
 * failure is answered to its sender; a transient failure (database or Redis gone) throws,
 * so the caller retries the whole batch without acknowledging it.
 */
export class BatchProcessor {
  constructor(
    private readonly handlers: OpHandlers,
    private readonly send: MessageSendHandler,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
  ) {}

  async process(stream: string, entries: StreamEntry[], redelivered: boolean): Promise<Outbox> {
    const out = new Outbox();
    const ops = entries.map((e) => this.decode(stream, e, redelivered, out));
    for (let i = 0; i < ops.length; ) {
      const op = ops[i];
      if (op?.type !== 'message.send') {
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

  private decode(stream: string, entry: StreamEntry, redelivered: boolean, out: Outbox): DecodedOp | undefined {
    let env: Envelope;
    try {
      env = envelopeFromFields(entry.fields);
    } catch (err) {
      // Nobody to answer: the entry did not come from a gateway. Drop it, loudly.
      this.logger.error({ stream, id: entry.id, err }, 'malformed stream entry dropped');
      return undefined;
    }
    const ctx: OpContext = { env, user: { id: env.u, username: env.n }, out, entryKey: `${stream}#${entry.id}`, redelivered };
    const internal = decodeInternalOp(env.f);
    if (internal) return internal.valid ? { ctx, type: internal.type, data: internal.data } : undefined;
    const parsed = parseClientFrame(env.f);
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
    const handler = this.handlers[op.type];
    try {
      if (!handler) throw new ChatError(ErrorCode.BAD_REQUEST, `op ${op.type} is not supported by this server`);
      await handler.handle(ctx, op.data);
      this.metrics.opsProcessed.inc({ op: op.type, outcome: 'done' });
    } catch (err) {
      if (err instanceof ChatError) {
        ctx.out.replyError(ctx.env, ctx.ref, err.toBody());
        this.metrics.opsProcessed.inc({ op: op.type, outcome: err.code });
        return;
      }
      if (isTransientError(err)) throw err;
      this.logger.error({ err, op: op.type, user: ctx.user.id }, 'op failed');
      ctx.out.replyError(ctx.env, ctx.ref, { code: ErrorCode.INTERNAL, message: 'internal error' });
      this.metrics.opsProcessed.inc({ op: op.type, outcome: ErrorCode.INTERNAL });
    }
  }
}
