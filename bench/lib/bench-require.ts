/**
 * Socket.IO packages are bench-only dependencies in bench/package.json. The compiled bench runs
 * from dist/bench, where Node would not look in bench/node_modules, so load them from there.
 * (No type imports from them either: the root build runs before `npm --prefix bench install`.)
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root: dist/bench/lib → ../../.. (or bench/lib when run from source). */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'bench', 'package.json')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error(`cannot find the repository root above ${__dirname}`);
}

export const benchRequire = createRequire(join(repoRoot(), 'bench', 'package.json'));
