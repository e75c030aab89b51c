import { Controller, DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { renderMetrics } from './metrics';
import { Readiness } from './readiness';

@Controller()
class ObservabilityController {
  constructor(@Inject(Readiness) private readonly readiness: Readiness) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: Response) {
    const report = await this.readiness.report();
    res.status(report.ready ? 200 : 503).json(report);
  }

  @Get('metrics')
  async metrics(@Res() res: Response) {
    const { contentType, body } = await renderMetrics();
    res.type(contentType).send(body);
  }
}

/** `/healthz`, `/readyz` and `/metrics` for a Nest app, given its readiness checks. */
@Module({})
export class ObservabilityModule {
  static forRoot(readiness: Readiness): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [{ provide: Readiness, useValue: readiness }],
      exports: [Readiness],
    };
  }
}
