import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Hands a handler's error to the transport as it was thrown. Nest's default filter replaces
 * it with `{ status: 'error', message: 'Internal server error' }`, and then the transport
 * cannot tell a transient failure (retry, entry left pending) from the event's own (dead
 * letter). Install it on the microservice: `app.useGlobalFilters(new StreamEventErrorFilter())`.
 */
@Catch()
export class StreamEventErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
