import type { Config } from '@chat/config';
import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { API_CONFIG } from '../api.tokens';
import { clientConfigFor } from './client-config';

@Controller('api')
export class ClientConfigController {
  constructor(@Inject(API_CONFIG) private readonly config: Config) {}

  @Get('config')
  get(@Req() request: Request) {
    return clientConfigFor(this.config, request.hostname);
  }
}
