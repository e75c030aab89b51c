import { invalidInput } from '@chat/accounts';
import { StandardSchemaValidationPipe } from '@nestjs/common';

/**
 * Validates every `@Body({ schema })` / `@Query({ schema })` with its zod schema and turns
 * failures into our BAD_REQUEST (Nest's default would be its own error shape).
 */
export function schemaValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({ exceptionFactory: (issues) => invalidInput(issues) });
}
