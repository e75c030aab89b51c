import { Op, ReplyDataMap } from '@chat/protocol';
import type { OpInput } from '@chat/door';
import { toProtoJoined, toProtoMessage } from './proto-objects';
import { toTimestamp } from './timestamps';

/** A ChatStream ClientAction as proto-loader decodes it (oneofs: `action` names the one set). */
export interface ClientAction {
  ref: string;
  action?: 'send' | 'typing_start' | 'typing_stop' | 'join' | 'leave' | 'read_mark' | 'resume' | 'auth_refresh';
  send?: SendMessageRequest;
  typing_start?: { room_id: string };
  typing_stop?: { room_id: string };
  join?: { room_id: string };
  leave?: { room_id: string };
  read_mark?: { room_id: string; seq: number };
  resume?: { rooms: Record<string, number> };
  auth_refresh?: { token: string };
}

export interface SendMessageRequest {
  room_id: string;
  text: string;
  client_msg_id: string;
  reply_to?: string;
  attachments: string[];
}

/** An op and its data, ready for DoorSession.request. */
export type OpRequest = { [O in Op]: { op: O; data: OpInput<O> } }[Op];

export function sendOp(req: SendMessageRequest): OpRequest {
  const data: OpInput<'message.send'> = { roomId: req.room_id, text: req.text, clientMsgId: req.client_msg_id };
  if (req.reply_to) data.replyTo = req.reply_to;
  if (req.attachments?.length) data.attachments = req.attachments;
  return { op: 'message.send', data };
}

/** The op a ClientAction stands for; undefined when no action is set (answered INVALID_ARGUMENT). */
export function actionToOp(action: ClientAction): OpRequest | undefined {
  switch (action.action) {
    case 'send':
      return sendOp(action.send!);
    case 'typing_start':
      return { op: 'typing.start', data: { roomId: action.typing_start!.room_id } };
    case 'typing_stop':
      return { op: 'typing.stop', data: { roomId: action.typing_stop!.room_id } };
    case 'join':
      return { op: 'room.join', data: { roomId: action.join!.room_id } };
    case 'leave':
      return { op: 'room.leave', data: { roomId: action.leave!.room_id } };
    case 'read_mark':
      return { op: 'read.mark', data: { roomId: action.read_mark!.room_id, seq: action.read_mark!.seq } };
    case 'resume':
      return { op: 'resume', data: { rooms: action.resume!.rooms ?? {} } };
    case 'auth_refresh':
      return { op: 'auth.refresh', data: { token: action.auth_refresh!.token } };
    default:
      return undefined;
  }
}

/** The `data` oneof of an ok ActionResult for the reply of `op`. */
export function resultData(op: Op, reply: unknown): Record<string, unknown> {
  switch (op) {
    case 'message.send':
      return { message: toProtoMessage((reply as ReplyDataMap['message.send']).message) };
    case 'room.join':
      return { joined: toProtoJoined(reply as ReplyDataMap['room.join']) };
    case 'resume':
      return { resumed: reply as ReplyDataMap['resume'] };
    case 'read.mark':
      return { read_seq: (reply as ReplyDataMap['read.mark']).seq };
    case 'auth.refresh':
      return { expires_at: toTimestamp((reply as ReplyDataMap['auth.refresh']).expiresAt) };
    default:
      return {};
  }
}
