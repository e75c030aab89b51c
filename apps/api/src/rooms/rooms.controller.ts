import { BearerGuard, CurrentUser } from '@chat/accounts';
import type { User } from '@chat/protocol';
import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { HistoryQuery } from './history-query.schema';
import { RoomIdParam } from './room-id.param';
import { RoomReads } from './room-reads.service';

@Controller('api/rooms')
@UseGuards(BearerGuard)
export class RoomsController {
  constructor(@Inject(RoomReads) private readonly rooms: RoomReads) {}

  @Get()
  list(@CurrentUser() user: User) {
    return this.rooms.list(user.id);
  }

  @Get(':id/messages')
  history(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Query({ schema: HistoryQuery }) query: HistoryQuery) {
    return this.rooms.history(user.id, roomId, query);
  }
}
