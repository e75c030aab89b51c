import {
  ChatError,
  ErrorCode,
  idString,
  Message,
  Op,
  OpDataOf,
  parseOpData,
  Room,
} from '@chat/protocol';
import type { GraphQLFieldResolver } from 'graphql';
import type { SessionEvent } from './chat-session';
import { EventQueue } from './event-queue';
import { graphqlMetrics } from './graphql.metrics';
import type { GraphqlContext } from './graphql-context';
import { roomEventOf } from './room-events';

type Args = Record<string, unknown>;
type Resolver = GraphQLFieldResolver<any, GraphqlContext, any>;
export type FieldResolvers = Record<string, Resolver | { subscribe: Resolver; resolve: Resolver }>;

/**
 * How far a subscription may fall behind its socket before it is ended with UNAVAILABLE (its
 * client reads history then, as after a lost connection) rather than buffer without end.
 */
export const MAX_EVENTS_BEHIND = 10_000;

/** GraphQL says null for an argument left out; the ops' schemas say absent. */
function withoutNulls(args: Args): Args {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
}

/** The arguments as the op's data, checked by the op's own schema (libs/protocol): BAD_REQUEST otherwise. */
function opData<O extends Op>(op: O, args: Args): OpDataOf<O> {
  const parsed = parseOpData(op, withoutNulls(args));
  if (!parsed.ok) throw new ChatError(ErrorCode.BAD_REQUEST, `bad arguments: ${parsed.message}`);
  return parsed.data;
}

function roomIdArg(value: unknown): string {
  const parsed = idString.safeParse(value);
  if (!parsed.success) throw new ChatError(ErrorCode.BAD_REQUEST, `bad room id: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

async function request<O extends Op>(ctx: GraphqlContext, op: O, args: Args) {
  const data = opData(op, args);
  return (await ctx.session()).request(op, data);
}

/** For ops whose reply is `{}`: true once it came back ok. */
async function succeeded(ctx: GraphqlContext, op: Op, args: Args): Promise<true> {
  await request(ctx, op, args);
  return true;
}

/**
 * A subscription's event stream: the session's events that `pick` keeps, listened to before
 * `check` runs (so nothing sent meanwhile is missed), ended when the client stops — or after
 * the event `endsWith` recognises (leaving the room), once that event was handed over.
 */
async function subscription<T>(
  ctx: GraphqlContext,
  pick: (event: SessionEvent) => T | undefined,
  { check, endsWith }: { check?: () => Promise<void>; endsWith?: (event: SessionEvent) => boolean } = {},
): Promise<AsyncIterable<T>> {
  const session = await ctx.session();
  let unsubscribe = (): void => undefined;
  const active = graphqlMetrics().subscriptions;
  const queue = new EventQueue<T>(
    MAX_EVENTS_BEHIND,
    () => new ChatError(ErrorCode.UNAVAILABLE, `this subscription fell more than ${MAX_EVENTS_BEHIND} events behind; subscribe again and read history`),
    () => {
      unsubscribe();
      active.dec();
    },
  );
  active.inc();
  unsubscribe = session.onEvent((event) => {
    const value = pick(event);
    if (value !== undefined) queue.push(value);
    if (endsWith?.(event)) queue.finish();
  });
  try {
    await check?.();
  } catch (err) {
    await queue.return();
    throw err;
  }
  return queue;
}

/** For a subscription to one room: the caller must be a member, and it ends when they leave (or are removed). */
function roomScope(ctx: GraphqlContext, roomId: string) {
  return {
    check: () => ctx.reads.requireMember(ctx.viewer.id, roomId),
    endsWith: (e: SessionEvent) => e.type === 'room.member_left' && e.data.roomId === roomId && e.data.userId === ctx.viewer.id,
  };
}

function roomOf(ctx: GraphqlContext, roomId: string): Promise<Room> {
  let room = ctx.rooms.get(roomId);
  if (!room) ctx.rooms.set(roomId, (room = ctx.reads.room(ctx.viewer.id, roomId)));
  return room;
}

const roomFields: FieldResolvers = {
  messages: (room: Room, args: Args, ctx) => ctx.reads.history(ctx.viewer.id, opData('message.history', { ...args, roomId: room.id })),
  members: (room: Room, _args, ctx) => ctx.reads.members(ctx.viewer.id, room.id),
};

/**
 * The root field of each subscription event: the event itself. Each event is read as an
 * operation of its own, so the rooms remembered for the previous one (`Message.room`) are
 * forgotten: a room's lastSeq moves with every message.
 */
const eachEvent: Resolver = (payload, _args, ctx) => {
  ctx.rooms.clear();
  return payload;
};

/** The resolvers of schema.graphql, by type and field (bound by executableSchema). */
export const RESOLVERS: Record<string, FieldResolvers> = {
  Query: {
    me: (_root, _args, ctx) => ctx.viewer,
    rooms: (_root, _args, ctx) => ctx.reads.rooms(ctx.viewer.id),
    room: (_root, { id }: Args, ctx) => roomOf(ctx, roomIdArg(id)),
    messages: (_root, args: Args, ctx) => ctx.reads.history(ctx.viewer.id, opData('message.history', args)),
    members: (_root, args: Args, ctx) => ctx.reads.members(ctx.viewer.id, opData('room.members', args).roomId),
    search: (_root, args: Args, ctx) => ctx.reads.search(ctx.viewer.id, opData('search', args)),
  },
  Mutation: {
    createRoom: async (_root, args: Args, ctx) => (await request(ctx, 'room.create', args)).room,
    joinRoom: (_root, args: Args, ctx) => request(ctx, 'room.join', args),
    leaveRoom: (_root, args: Args, ctx) => succeeded(ctx, 'room.leave', args),
    sendMessage: async (_root, args: Args, ctx) => (await request(ctx, 'message.send', args)).message,
    editMessage: async (_root, args: Args, ctx) => (await request(ctx, 'message.edit', args)).message,
    deleteMessage: (_root, args: Args, ctx) => succeeded(ctx, 'message.delete', args),
    addReaction: (_root, args: Args, ctx) => succeeded(ctx, 'reaction.add', args),
    removeReaction: (_root, args: Args, ctx) => succeeded(ctx, 'reaction.remove', args),
    markRead: async (_root, args: Args, ctx) => (await request(ctx, 'read.mark', args)).seq,
    setPresence: (_root, args: Args, ctx) => succeeded(ctx, 'presence.set', args),
  },
  Subscription: {
    messageCreated: {
      subscribe: (_root, { roomId }: Args, ctx) => {
        const room = roomIdArg(roomId);
        return subscription(ctx, (e) => (e.type === 'message.created' && e.data.roomId === room ? e.data : undefined), roomScope(ctx, room));
      },
      resolve: eachEvent,
    },
    roomEvents: {
      subscribe: (_root, { roomId }: Args, ctx) => {
        const room = roomIdArg(roomId);
        return subscription(ctx, (e) => roomEventOf(e, room), roomScope(ctx, room));
      },
      resolve: eachEvent,
    },
    presenceUpdated: {
      subscribe: (_root, _args, ctx) => subscription(ctx, (e) => (e.type === 'presence.updated' ? e.data : undefined)),
      resolve: eachEvent,
    },
    typingUpdated: {
      subscribe: (_root, { roomId }: Args, ctx) => {
        const room = roomIdArg(roomId);
        return subscription(ctx, (e) => (e.type === 'typing.updated' && e.data.roomId === room ? e.data : undefined), roomScope(ctx, room));
      },
      resolve: eachEvent,
    },
  },
  Room: roomFields,
  RoomListing: roomFields,
  Message: {
    mentions: (message: Message) => message.mentions ?? [],
    mentionsRoom: (message: Message) => message.mentionsRoom === true,
    room: (message: Message, _args, ctx) => roomOf(ctx, message.roomId),
  },
};
