import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { AdminGuard } from './admin.guard';
import { AdminOverview } from './admin-overview.service';

/** The operators' API (only registered when ADMIN_TOKEN is set); the page at /admin calls it. */
@Controller('api/admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(@Inject(AdminOverview) private readonly admin: AdminOverview) {}

  @Get('overview')
  overview() {
    return this.admin.overview();
  }

  @Post('dead-letters/:stream/:id/replay')
  @HttpCode(200)
  replay(@Param('stream') stream: string, @Param('id') id: string) {
    return this.admin.replay(stream, id);
  }
}
