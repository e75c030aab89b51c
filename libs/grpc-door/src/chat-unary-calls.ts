import type { Metadata } from '@grpc/grpc-js';
import { DoorSession, OpInput, SessionPool } from '@chat/door';
import { Op, ReplyDataOf } from '@chat/protocol';
import { SendMessageRequest, sendOp } from './chat-actions';
import { bearerToken, toGrpcError } from './grpc-status';
import { toProtoJoined, toProtoMember, toProtoMessage, toProtoRoom } from './proto-objects';

/**
 * The unary methods of chat.ChatService: each is one op on the caller's pooled session,
 * its reply mapped to the proto's response; a failure rejects with a GrpcStatusError.
 */
export class ChatUnaryCalls {
  constructor(private readonly pool: SessionPool) {}

  private async call<O extends Op>(metadata: Metadata, op: O, data?: OpInput<O>): Promise<ReplyDataOf<O>> {
    try {
      return await this.pool.use(bearerToken(metadata), (session: DoorSession) => session.request(op, data));
    } catch (err) {
      throw toGrpcError(err);
    }
  }

  async sendMessage(req: SendMessageRequest, metadata: Metadata) {
    const { data } = sendOp(req) as { data: OpInput<'message.send'> };
    const reply = await this.call(metadata, 'message.send', data);
    return { message: toProtoMessage(reply.message) };
  }

  async getMessages(req: { room_id: string; before_seq: number; limit: number }, metadata: Metadata) {
    const data: OpInput<'message.history'> = { roomId: req.room_id };
    if (req.before_seq) data.beforeSeq = req.before_seq;
    if (req.limit) data.limit = req.limit;
    const reply = await this.call(metadata, 'message.history', data);
    return { messages: reply.messages.map(toProtoMessage), has_more: reply.hasMore };
  }

  async joinRoom(req: { room_id: string }, metadata: Metadata) {
    return toProtoJoined(await this.call(metadata, 'room.join', { roomId: req.room_id }));
  }

  async leaveRoom(req: { room_id: string }, metadata: Metadata) {
    await this.call(metadata, 'room.leave', { roomId: req.room_id });
    return {};
  }

  async getRooms(_req: unknown, metadata: Metadata) {
    const reply = await this.call(metadata, 'room.list');
    return { rooms: reply.rooms.map(toProtoRoom) };
  }

  async getUsers(req: { room_id: string }, metadata: Metadata) {
    const reply = await this.call(metadata, 'room.members', { roomId: req.room_id });
    return { members: reply.members.map(toProtoMember) };
  }

  async updateUserStatus(req: { status: string }, metadata: Metadata) {
    // The op's schema refuses any other status with BAD_REQUEST (→ INVALID_ARGUMENT).
    await this.call(metadata, 'presence.set', { status: req.status as OpInput<'presence.set'>['status'] });
    return {};
  }
}
