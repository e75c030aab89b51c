import {
  AccountsService,
  AuthThrottle,
  BearerGuard,
  clientAddressKey,
  CurrentUser,
  GuestLoginBody,
  LoginBody,
  RegisterBody,
  Session,
} from '@chat/accounts';
import type { User } from '@chat/protocol';
import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';

/**
 * PROTOCOL.md "HTTP auth": every endpoint answers 200 with `{token, user}` (logout-all with
 * the revocation time). Logins and sign-ups are throttled per account and client address.
 */
@Controller('api/auth')
export class AuthController {
  constructor(
    @Inject(AccountsService) private readonly accounts: AccountsService,
    @Inject(AuthThrottle) private readonly throttle: AuthThrottle,
  ) {}

  @Post('guest')
  @HttpCode(200)
  guest(@Body({ schema: GuestLoginBody }) body: GuestLoginBody, @Req() request: Request): Promise<Session> {
    return this.throttle.signup(addressOf(request), () => this.accounts.guest(body));
  }

  @Post('register')
  @HttpCode(200)
  register(@Body({ schema: RegisterBody }) body: RegisterBody, @Req() request: Request): Promise<Session> {
    return this.throttle.signup(addressOf(request), () => this.accounts.register(body));
  }

  @Post('login')
  @HttpCode(200)
  login(@Body({ schema: LoginBody }) body: LoginBody, @Req() request: Request): Promise<Session> {
    return this.throttle.login(body.username, addressOf(request), () => this.accounts.login(body));
  }

  /** A new token for a valid one (same shape as login), so a client can stay logged in. */
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(BearerGuard)
  refresh(@CurrentUser() user: User): Promise<Session> {
    return this.accounts.refresh(user);
  }

  /** Voids every token of the caller issued before now and closes their open sockets. */
  @Post('logout-all')
  @HttpCode(200)
  @UseGuards(BearerGuard)
  logoutAll(@CurrentUser() user: User): Promise<{ revokedBefore: string }> {
    return this.accounts.logoutAll(user);
  }
}

/** The throttle key of the caller: `request.ip` honours TRUST_PROXY (Express "trust proxy"). */
function addressOf(request: Request): string {
  return clientAddressKey(request.ip ?? request.socket.remoteAddress);
}
