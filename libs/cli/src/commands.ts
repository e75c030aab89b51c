import { ChatRequestError } from '@chat/client';
import type { Room } from '@chat/protocol';
import { clock } from './message-format';
import { TerminalChat } from './terminal-chat';

interface Command {
  usage: string;
  help: string;
  run(chat: TerminalChat, args: string): Promise<void> | void;
}

/** A command's wrong use, shown to the user as is. */
export class UsageError extends Error {}

const HISTORY_DEFAULT = 20;

function needRoom(chat: TerminalChat): Room {
  if (!chat.current) throw new UsageError('you are in no room: /join <room> or /create <name> first');
  return chat.current;
}

/** `<seq> <rest>` of /react, /reply, /edit; `rest` may be required. */
function seqAndRest(usage: string, args: string, restRequired: boolean): { seq: number; rest: string } {
  const match = /^(\d+)(?:\s+([\s\S]*))?$/.exec(args.trim());
  const rest = match?.[2]?.trim() ?? '';
  if (!match || (restRequired && !rest)) throw new UsageError(`usage: ${usage}`);
  return { seq: Number(match[1]), rest };
}

/** The id of message `seq` of the current room: from what was seen, else from history. */
async function messageIdAt(chat: TerminalChat, seq: number): Promise<string> {
  const room = needRoom(chat);
  const seen = chat.log.at(room.id, seq);
  if (seen) return seen.id;
  const { messages } = await chat.client.request('message.history', { roomId: room.id, beforeSeq: seq + 1, limit: 1 });
  const found = messages.find((m) => m.seq === seq);
  if (!found) throw new UsageError(`#${room.name} has no message [${seq}]`);
  chat.log.keep(found);
  return found.id;
}

async function userNamed(chat: TerminalChat, username: string): Promise<{ id: string; username: string }> {
  if (!username) throw new UsageError('a username is needed');
  return (await chat.client.request('user.lookup', { username })).user;
}

/**
 * The room named on the command line: joined when it exists (by id or name), created when
 * nobody has a room of that name yet.
 */
export async function enterRoom(chat: TerminalChat, nameOrId: string): Promise<void> {
  const rooms = await chat.rooms.load();
  const found = rooms.find((r) => r.id === nameOrId || r.name.toLowerCase() === nameOrId.toLowerCase());
  if (found) return join(chat, found.id);
  const { room } = await chat.client.request('room.create', { name: nameOrId });
  await join(chat, room.id);
}

async function join(chat: TerminalChat, roomId: string): Promise<void> {
  const { room, members, messages } = await chat.client.request('room.join', { roomId });
  chat.members.set(room.id, members);
  chat.enter(room, messages);
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  help: {
    usage: '/help',
    help: 'this list',
    run: (chat) => {
      for (const { usage, help } of Object.values(COMMANDS)) chat.out.line('info', `${usage.padEnd(28)} ${help}`);
      chat.out.line('info', `${'<text>'.padEnd(28)} a message to the current room`);
    },
  },
  // Listed for /help; runLine ends the input loop on them before any command runs.
  quit: { usage: '/quit', help: 'leave the chat', run: () => undefined },
  exit: { usage: '/exit', help: 'leave the chat', run: () => undefined },
  clear: { usage: '/clear', help: 'clear the screen', run: (chat) => chat.out.clear() },
  rooms: {
    usage: '/rooms',
    help: 'public rooms and yours, with unread counts',
    run: async (chat) => {
      const rooms = await chat.rooms.load();
      if (rooms.length === 0) chat.out.line('info', '* no rooms yet: /create <name>');
      for (const r of rooms) {
        const here = chat.current?.id === r.id ? '*' : ' ';
        chat.out.line('info', `${here} #${r.name} (${r.id}) ${r.kind}, ${r.memberCount} members${r.joined ? `, ${r.unread} unread` : ''}`);
      }
    },
  },
  create: {
    usage: '/create <name> [topic]',
    help: 'create a public room and go there',
    run: async (chat, args) => {
      const [name, ...topic] = args.trim().split(/\s+/);
      if (!name) throw new UsageError('usage: /create <name> [topic]');
      const { room } = await chat.client.request('room.create', { name, topic: topic.join(' ') || undefined });
      await join(chat, room.id);
    },
  },
  join: {
    usage: '/join <room name or id>',
    help: 'join a room and go there',
    run: async (chat, args) => {
      const wanted = args.trim();
      if (!wanted) throw new UsageError('usage: /join <room name or id>');
      const rooms = await chat.rooms.load();
      const byName = rooms.filter((r) => r.name.toLowerCase() === wanted.replace(/^#/, '').toLowerCase());
      if (byName.length > 1) throw new UsageError(`${byName.length} rooms are named ${wanted}: join by id (${byName.map((r) => r.id).join(', ')})`);
      await join(chat, rooms.find((r) => r.id === wanted)?.id ?? byName[0]?.id ?? wanted);
    },
  },
  leave: {
    usage: '/leave',
    help: 'leave the current room',
    run: async (chat) => {
      const room = needRoom(chat);
      await chat.client.request('room.leave', { roomId: room.id });
      chat.current = undefined;
    },
  },
  users: {
    usage: '/users',
    help: 'members of the current room, with presence',
    run: async (chat) => {
      const room = needRoom(chat);
      for (const m of await chat.members.load(room.id)) chat.out.line('info', `  ${m.username} (${m.role}) ${m.presence}`);
    },
  },
  history: {
    usage: '/history [n]',
    help: `the last n messages (default ${HISTORY_DEFAULT}, at most 100)`,
    run: async (chat, args) => {
      const room = needRoom(chat);
      const n = args.trim() ? Number(args.trim()) : HISTORY_DEFAULT;
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError('usage: /history [n], n from 1 to 100');
      const { messages } = await chat.client.request('message.history', { roomId: room.id, limit: n });
      if (messages.length === 0) chat.out.line('info', '* no messages yet');
      for (const m of messages) chat.show(m);
    },
  },
  online: { usage: '/online', help: 'set your presence', run: (chat) => presence(chat, 'online') },
  away: { usage: '/away', help: 'set your presence', run: (chat) => presence(chat, 'away') },
  dnd: { usage: '/dnd', help: 'set your presence: do not disturb', run: (chat) => presence(chat, 'dnd') },
  notify: {
    usage: '/notify all|mentions|none',
    help: 'push notifications for the current room',
    run: async (chat, args) => {
      const level = args.trim();
      if (level !== 'all' && level !== 'mentions' && level !== 'none') throw new UsageError('usage: /notify all|mentions|none');
      const room = needRoom(chat);
      await chat.client.request('notify.set', { roomId: room.id, level });
      chat.out.line('info', `* notifications for #${room.name}: ${level}`);
    },
  },
  dm: {
    usage: '/dm <username>',
    help: 'talk to someone in private',
    run: async (chat, args) => {
      const user = await userNamed(chat, args.trim());
      const { room } = await chat.client.request('dm.open', { userId: user.id });
      await join(chat, room.id);
    },
  },
  invite: {
    usage: '/invite <username>',
    help: 'bring someone into the current room',
    run: async (chat, args) => {
      const room = needRoom(chat);
      const user = await userNamed(chat, args.trim());
      await chat.client.request('room.invite', { roomId: room.id, userId: user.id });
      chat.out.line('info', `* invited ${user.username} to #${room.name}`);
    },
  },
  search: {
    usage: '/search <text>',
    help: 'search the messages of your rooms',
    run: async (chat, args) => {
      if (!args.trim()) throw new UsageError('usage: /search <text>');
      const { hits } = await chat.client.request('search', { query: args.trim() });
      if (hits.length === 0) chat.out.line('info', '* nothing found');
      for (const { message: m, highlight } of hits) {
        const room = chat.rooms.get(m.roomId)?.name ?? m.roomId;
        chat.out.line('message', `(${room}) [${m.seq}] ${clock(m.createdAt)} ${m.author.username}: ${highlight}`);
      }
    },
  },
  react: {
    usage: '/react <seq> <emoji>',
    help: 'react to a message',
    run: async (chat, args) => {
      const { seq, rest } = seqAndRest('/react <seq> <emoji>', args, true);
      await chat.client.request('reaction.add', { messageId: await messageIdAt(chat, seq), emoji: rest });
    },
  },
  reply: {
    usage: '/reply <seq> <text>',
    help: 'answer a message',
    run: async (chat, args) => {
      const room = needRoom(chat);
      const { seq, rest } = seqAndRest('/reply <seq> <text>', args, true);
      await chat.client.send(room.id, rest, { replyTo: await messageIdAt(chat, seq) });
    },
  },
  edit: {
    usage: '/edit <seq> <text>',
    help: 'change one of your messages',
    run: async (chat, args) => {
      const { seq, rest } = seqAndRest('/edit <seq> <text>', args, true);
      await chat.client.request('message.edit', { messageId: await messageIdAt(chat, seq), text: rest });
    },
  },
  delete: {
    usage: '/delete <seq>',
    help: 'delete a message',
    run: async (chat, args) => {
      const { seq } = seqAndRest('/delete <seq>', args, false);
      await chat.client.request('message.delete', { messageId: await messageIdAt(chat, seq) });
    },
  },
};

async function presence(chat: TerminalChat, status: 'online' | 'away' | 'dnd'): Promise<void> {
  await chat.client.request('presence.set', { status });
}

/**
 * Runs one input line: a command, or a message to the current room. Errors become lines
 * (`! CODE: message`); the chat goes on. Resolves `'quit'` for /quit and /exit.
 */
export async function runLine(chat: TerminalChat, line: string): Promise<'quit' | undefined> {
  const text = line.trim();
  if (!text) return undefined;
  if (!text.startsWith('/')) return reportingErrors(chat, async () => void (await chat.client.send(needRoom(chat).id, line)));
  const [, typed, args = ''] = /^\/(\S+)\s*([\s\S]*)$/.exec(text)!;
  const name = typed.toLowerCase();
  if (name === 'quit' || name === 'exit') return 'quit';
  return reportingErrors(chat, async () => {
    const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command /${typed}: /help lists them`);
    await command.run(chat, args);
  });
}

/** Runs `action`; a failure becomes an error line instead of ending the chat. */
export async function reportingErrors(chat: TerminalChat, action: () => Promise<void>): Promise<undefined> {
  try {
    await action();
  } catch (err) {
    chat.out.line('error', err instanceof ChatRequestError ? `! ${err.code}: ${err.message}` : `! ${(err as Error).message}`);
  }
  return undefined;
}
