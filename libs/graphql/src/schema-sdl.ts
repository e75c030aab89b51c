import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The contract, read from schema.graphql beside this file (`npm run build` copies it into
 * dist/, see scripts/copy-lua.js), so the file clients read is the one the server runs.
 */
export const SCHEMA_SDL = readFileSync(join(__dirname, 'schema.graphql'), 'utf8');
