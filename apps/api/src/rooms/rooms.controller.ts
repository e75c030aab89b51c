import { BearerGuard, CurrentUser } from '@chat/accounts';
import { NotifyLevelBody, type User } from '@chat/protocol';
import { Body, Controller, Get, Inject, Param, Put, Query, UseGuards } from '@nestjs/common';
import { HistoryQuery } from './history-query.schema';
import { NotifyLevels } from './notify-levels.service';
import { RoomIdParam } from './room-id.param';
import { RoomReads } from './room-reads.service';

@Controller('api/rooms')
@UseGuards(BearerGuard)
export class RoomsController {
  constructor(
    @Inject(RoomReads) private readonly rooms: RoomReads,
    @Inject(NotifyLevels) private readonly notifyLevels: NotifyLevels,
  ) {}

  @Get()
  list(@CurrentUser() user: User) {
    return this.rooms.list(user.id);
  }

  @Get(':id/messages')
  history(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Query({ schema: HistoryQuery }) query: HistoryQuery) {
    return this.rooms.history(user.id, roomId, query);
  }

  @Put(':id/notify')
  setNotify(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Body({ schema: NotifyLevelBody }) body: NotifyLevelBody) {
    return this.notifyLevels.set(user.id, roomId, body.level);
  }
}
