import { AccountsService, BearerGuard } from '@chat/accounts';
import { TokenService } from '@chat/auth';
import type { Config } from '@chat/config';
import { Logger, ObservabilityModule, Readiness } from '@chat/observability';
import { Database, MessageRepository, RoomRepository, UserRepository } from '@chat/store';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { API_CONFIG, API_LOGGER } from './api.tokens';
import { AuthController } from './auth/auth.controller';
import { ClientConfigController } from './client-config/client-config.controller';
import { databaseAnswers } from './database.readiness';
import { HttpErrorFilter } from './http/http-error.filter';
import { schemaValidationPipe } from './http/schema-validation.pipe';
import { RoomReads } from './rooms/room-reads.service';
import { RoomsController } from './rooms/rooms.controller';

export interface ApiDeps {
  config: Config;
  db: Database;
  logger: Logger;
}

/**
 * The api app's wiring. The database and logger are handed in (the entry point owns
 * them), so tests and the all-in-one process can run several apps on one database.
 */
@Module({})
export class ApiModule {
  static forRoot({ config, db, logger }: ApiDeps): DynamicModule {
    const users = new UserRepository(db);
    const rooms = new RoomRepository(db);
    const messages = new MessageRepository(db);
    const tokens = new TokenService(config.auth.jwtSecret, config.auth.ttlSeconds);
    return {
      module: ApiModule,
      imports: [ObservabilityModule.forRoot(new Readiness().add('database', databaseAnswers(db)))],
      controllers: [AuthController, RoomsController, ClientConfigController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: API_LOGGER, useValue: logger },
        { provide: TokenService, useValue: tokens },
        { provide: AccountsService, useValue: new AccountsService(users, tokens, { guestLogin: config.auth.guestLogin }) },
        { provide: RoomReads, useValue: new RoomReads(rooms, messages) },
        BearerGuard,
        { provide: APP_PIPE, useFactory: schemaValidationPipe },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
