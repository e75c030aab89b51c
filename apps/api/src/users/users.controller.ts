import { BearerGuard } from '@chat/accounts';
import { usernameString, type User } from '@chat/protocol';
import { UserRepository } from '@chat/store';
import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';

/** `user.lookup` over HTTP: the same answer, `{user}` or NOT_FOUND, for a client without a socket. */
@Controller('api/users')
@UseGuards(BearerGuard)
export class UsersController {
  constructor(@Inject(UserRepository) private readonly users: UserRepository) {}

  @Get('by-username/:username')
  async byUsername(@Param('username', { schema: usernameString }) username: string): Promise<{ user: User }> {
    return { user: await this.users.requireByUsername(username) };
  }
}
