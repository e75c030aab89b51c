import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall, RpcException } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import { ChatStreamCall, GrpcDoor } from '@chat/grpc-door';

/**
 * chat.ChatService on Nest's gRPC transport: each method hands over to libs/grpc-door.
 * ChatStream takes the raw call (GrpcStreamCall rather than GrpcStreamMethod's Observables),
 * because its flow control needs write()'s result and the 'drain' event.
 */
@Controller()
export class ChatGrpcController {
  constructor(@Inject(GrpcDoor) private readonly door: GrpcDoor) {}

  /** A GrpcStatusError passes through Nest's RpcException as the call's status and trailers. */
  private run<T>(method: string, call: Promise<T>): Promise<T> {
    return this.door.counted(method, call).catch((err: object) => {
      throw new RpcException(err);
    });
  }

  @GrpcMethod('ChatService', 'SendMessage')
  sendMessage(req: Parameters<GrpcDoor['unary']['sendMessage']>[0], metadata: Metadata) {
    return this.run('SendMessage', this.door.unary.sendMessage(req, metadata));
  }

  @GrpcMethod('ChatService', 'GetMessages')
  getMessages(req: Parameters<GrpcDoor['unary']['getMessages']>[0], metadata: Metadata) {
    return this.run('GetMessages', this.door.unary.getMessages(req, metadata));
  }

  @GrpcMethod('ChatService', 'JoinRoom')
  joinRoom(req: { room_id: string }, metadata: Metadata) {
    return this.run('JoinRoom', this.door.unary.joinRoom(req, metadata));
  }

  @GrpcMethod('ChatService', 'LeaveRoom')
  leaveRoom(req: { room_id: string }, metadata: Metadata) {
    return this.run('LeaveRoom', this.door.unary.leaveRoom(req, metadata));
  }

  @GrpcMethod('ChatService', 'GetRooms')
  getRooms(req: unknown, metadata: Metadata) {
    return this.run('GetRooms', this.door.unary.getRooms(req, metadata));
  }

  @GrpcMethod('ChatService', 'GetUsers')
  getUsers(req: { room_id: string }, metadata: Metadata) {
    return this.run('GetUsers', this.door.unary.getUsers(req, metadata));
  }

  @GrpcMethod('ChatService', 'UpdateUserStatus')
  updateUserStatus(req: { status: string }, metadata: Metadata) {
    return this.run('UpdateUserStatus', this.door.unary.updateUserStatus(req, metadata));
  }

  @GrpcStreamCall('ChatService', 'ChatStream')
  chatStream(call: ChatStreamCall): void {
    this.door.chatStream(call);
  }
}
