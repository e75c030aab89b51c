import { AccountsService, GuestLoginBody, LoginBody, RegisterBody, Session } from '@chat/accounts';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';

/** PROTOCOL.md "HTTP auth": every endpoint answers 200 with `{token, user}`. */
@Controller('api/auth')
export class AuthController {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {}

  @Post('guest')
  @HttpCode(200)
  guest(@Body({ schema: GuestLoginBody }) body: GuestLoginBody): Promise<Session> {
    return this.accounts.guest(body);
  }

  @Post('register')
  @HttpCode(200)
  register(@Body({ schema: RegisterBody }) body: RegisterBody): Promise<Session> {
    return this.accounts.register(body);
  }

  @Post('login')
  @HttpCode(200)
  login(@Body({ schema: LoginBody }) body: LoginBody): Promise<Session> {
    return this.accounts.login(body);
  }
}
