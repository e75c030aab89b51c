import { EndpointPolicy, EndpointRefused } from '@chat/outbound-http';
import { ChatError, ErrorCode, newWebhookId, User, Webhook, WEBHOOK_EVENT_TYPES, WebhookCreateBody, WebhookDelivery } from '@chat/protocol';
import type { RoomRepository, WebhookRepository } from '@chat/store';
import { newWebhookSecret } from './webhook-signature';

export interface RoomWebhooksOptions {
  maxPerRoom: number;
  /** Attempts shown by the delivery log (all the log keeps). */
  logSize: number;
}

/**
 * The api's webhook use cases: a room's owner and moderators create, list, re-enable and
 * delete its webhooks and read their delivery logs; anybody else is FORBIDDEN (a room that
 * does not exist is NOT_FOUND). URLs are vetted by the endpoint policy as push endpoints
 * are (https, public addresses), here and again by the webhooks service when it sends.
 */
export class RoomWebhooks {
  constructor(
    private readonly rooms: Pick<RoomRepository, 'findById' | 'roleOf'>,
    private readonly webhooks: Pick<WebhookRepository, 'create' | 'list' | 'find' | 'remove' | 'reEnable' | 'deliveries'>,
    private readonly policy: Pick<EndpointPolicy, 'check'>,
    private readonly options: RoomWebhooksOptions,
  ) {}

  /** The new webhook with its secret: the one time the secret is shown. */
  async create(user: User, roomId: string, body: WebhookCreateBody): Promise<Webhook & { secret: string }> {
    await this.requireManager(user, roomId);
    try {
      await this.policy.check(body.url);
    } catch (err) {
      if (err instanceof EndpointRefused) throw new ChatError(ErrorCode.BAD_REQUEST, err.message);
      throw err;
    }
    const secret = newWebhookSecret();
    const webhook = await this.webhooks.create(
      { id: newWebhookId(), roomId, url: body.url, events: body.events ?? [...WEBHOOK_EVENT_TYPES], secret, createdBy: user.id },
      this.options.maxPerRoom,
    );
    return { ...webhook, secret };
  }

  async list(user: User, roomId: string): Promise<Webhook[]> {
    await this.requireManager(user, roomId);
    return this.webhooks.list(roomId);
  }

  async remove(user: User, roomId: string, webhookId: string): Promise<void> {
    await this.requireManager(user, roomId);
    if (!(await this.webhooks.remove(roomId, webhookId))) throw notFound(roomId, webhookId);
  }

  async reEnable(user: User, roomId: string, webhookId: string): Promise<Webhook> {
    await this.requireManager(user, roomId);
    const webhook = await this.webhooks.reEnable(roomId, webhookId);
    if (!webhook) throw notFound(roomId, webhookId);
    return webhook;
  }

  async deliveries(user: User, roomId: string, webhookId: string): Promise<{ webhook: Webhook; deliveries: WebhookDelivery[] }> {
    await this.requireManager(user, roomId);
    const webhook = await this.webhooks.find(roomId, webhookId);
    if (!webhook) throw notFound(roomId, webhookId);
    return { webhook, deliveries: await this.webhooks.deliveries(webhookId, this.options.logSize) };
  }

  private async requireManager(user: User, roomId: string): Promise<void> {
    if (!(await this.rooms.findById(roomId))) throw new ChatError(ErrorCode.NOT_FOUND, `room "${roomId}" not found`);
    const role = await this.rooms.roleOf(roomId, user.id);
    if (role !== 'owner' && role !== 'moderator') {
      throw new ChatError(ErrorCode.FORBIDDEN, `only the owner or a moderator of room ${roomId} manages its webhooks`);
    }
  }
}

function notFound(roomId: string, webhookId: string): ChatError {
  return new ChatError(ErrorCode.NOT_FOUND, `room ${roomId} has no webhook ${webhookId}`);
}
