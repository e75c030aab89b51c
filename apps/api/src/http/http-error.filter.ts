import type { Logger } from '@chat/observability';
import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_LOGGER } from '../api.tokens';
import { toHttpError } from './http-error';

/**
 * The one place an HTTP error is answered: ChatErrors thrown by use cases, Nest's own
 * exceptions (unknown route, body-parser failures) and unexpected errors all leave as
 * `{"error":{"code","message"}}`.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(API_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const { status, body, serverFault } = toHttpError(error);
    if (serverFault) this.logger.error({ err: error, method: request.method, url: request.originalUrl }, 'request failed');
    if (response.headersSent) {
      // Too late for an error body; cut the response so the client sees it is incomplete.
      response.destroy();
      return;
    }
    // RFC 9110 Retry-After (whole seconds) beside the body's retryAfterMs.
    if (body.error.retryAfterMs !== undefined) response.setHeader('Retry-After', String(Math.ceil(body.error.retryAfterMs / 1000)));
    response.status(status).json(body);
  }
}
