import { BearerGuard, CurrentUser } from '@chat/accounts';
import { ChatError, ErrorCode, PushSubscriptionBody, PushUnsubscribeBody, type User } from '@chat/protocol';
import { EndpointPolicy, EndpointRefused } from '@chat/outbound-http';
import { PushSubscriptions, subscriptionKeyProblem, VapidKeys } from '@chat/push';
import { Body, Controller, Delete, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';

export const VAPID_PUBLIC_KEY = Symbol('VapidPublicKey');

/**
 * Web Push subscriptions. The public key is public (browsers need it to subscribe); the
 * subscriptions are the caller's own. Endpoints are URLs users hand us, so the policy vets
 * them here (https, public addresses) and the push service again when it sends.
 */
@Controller('api/push')
export class PushController {
  constructor(
    @Inject(VAPID_PUBLIC_KEY) private readonly vapid: Pick<VapidKeys, 'publicKey'>,
    @Inject(PushSubscriptions) private readonly subscriptions: PushSubscriptions,
    @Inject(EndpointPolicy) private readonly policy: EndpointPolicy,
  ) {}

  @Get('vapid-public-key')
  publicKey(): { publicKey: string } {
    return { publicKey: this.vapid.publicKey };
  }

  @Post('subscriptions')
  @HttpCode(201)
  @UseGuards(BearerGuard)
  async subscribe(@CurrentUser() user: User, @Body({ schema: PushSubscriptionBody }) body: PushSubscriptionBody): Promise<{ endpoint: string }> {
    const keyProblem = subscriptionKeyProblem(body.keys.p256dh);
    if (keyProblem) throw new ChatError(ErrorCode.BAD_REQUEST, keyProblem);
    try {
      await this.policy.check(body.endpoint);
    } catch (err) {
      if (err instanceof EndpointRefused) throw new ChatError(ErrorCode.BAD_REQUEST, err.message);
      throw err;
    }
    await this.subscriptions.save(user.id, { endpoint: body.endpoint, keys: body.keys });
    return { endpoint: body.endpoint };
  }

  @Delete('subscriptions')
  @HttpCode(204)
  @UseGuards(BearerGuard)
  async unsubscribe(@CurrentUser() user: User, @Body({ schema: PushUnsubscribeBody }) body: PushUnsubscribeBody): Promise<void> {
    await this.subscriptions.remove(user.id, body.endpoint);
  }
}
