import { BearerGuard, CurrentUser } from '@chat/accounts';
import { WebhookCreateBody, WebhookUpdateBody, type User } from '@chat/protocol';
import { RoomWebhooks } from '@chat/webhooks';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { RoomIdParam } from '../rooms/room-id.param';

/** docs/protocol.md "Webhooks": a room's outgoing webhooks, for its owner and moderators. */
@Controller('api/rooms/:id/webhooks')
@UseGuards(BearerGuard)
export class WebhooksController {
  constructor(@Inject(RoomWebhooks) private readonly webhooks: RoomWebhooks) {}

  /** The secret is in this answer only. */
  @Post()
  @HttpCode(201)
  create(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Body({ schema: WebhookCreateBody }) body: WebhookCreateBody) {
    return this.webhooks.create(user, roomId, body);
  }

  @Get()
  list(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string) {
    return this.webhooks.list(user, roomId);
  }

  /** `{ "enabled": true }`: re-enables a disabled webhook. */
  @Patch(':webhookId')
  update(
    @CurrentUser() user: User,
    @Param('id', { schema: RoomIdParam }) roomId: string,
    @Param('webhookId', { schema: RoomIdParam }) webhookId: string,
    @Body({ schema: WebhookUpdateBody }) _body: WebhookUpdateBody,
  ) {
    return this.webhooks.reEnable(user, roomId, webhookId);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  async remove(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Param('webhookId', { schema: RoomIdParam }) webhookId: string) {
    await this.webhooks.remove(user, roomId, webhookId);
  }

  @Get(':webhookId/deliveries')
  deliveries(@CurrentUser() user: User, @Param('id', { schema: RoomIdParam }) roomId: string, @Param('webhookId', { schema: RoomIdParam }) webhookId: string) {
    return this.webhooks.deliveries(user, roomId, webhookId);
  }
}
