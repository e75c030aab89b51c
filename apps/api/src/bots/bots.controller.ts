import { BearerGuard, BotsService, CurrentUser } from '@chat/accounts';
import { BotCreateBody, type User } from '@chat/protocol';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { BotIdParam } from './bot-id.param';

/** docs/protocol.md "Bots": a user's bot accounts and their tokens (each token shown once). */
@Controller('api/bots')
@UseGuards(BearerGuard)
export class BotsController {
  constructor(@Inject(BotsService) private readonly bots: BotsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentUser() user: User, @Body({ schema: BotCreateBody }) body: BotCreateBody) {
    return this.bots.create(user, body);
  }

  @Get()
  list(@CurrentUser() user: User) {
    return this.bots.list(user);
  }

  /** Rotates: the bot's previous tokens stop working, this one is shown once. */
  @Post(':id/token')
  @HttpCode(201)
  rotate(@CurrentUser() user: User, @Param('id', { schema: BotIdParam }) botId: string) {
    return this.bots.rotate(user, botId);
  }

  @Delete(':id/token')
  @HttpCode(200)
  revoke(@CurrentUser() user: User, @Param('id', { schema: BotIdParam }) botId: string) {
    return this.bots.revoke(user, botId);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: User, @Param('id', { schema: BotIdParam }) botId: string): Promise<void> {
    await this.bots.remove(user, botId);
  }
}
