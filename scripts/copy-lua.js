#!/usr/bin/env node
// Part of `npm run build`: tsc emits only JavaScript, so the Lua scripts that libs keep in
// their own `lua/` folders, and their GraphQL schemas (`src/*.graphql`), are copied beside
// the compiled code that reads them.
const { cpSync, existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
for (const lib of readdirSync(join(root, 'libs'))) {
  const from = join(root, 'libs', lib, 'src', 'lua');
  if (existsSync(from)) cpSync(from, join(root, 'dist', 'libs', lib, 'src', 'lua'), { recursive: true });
  for (const file of readdirSync(join(root, 'libs', lib, 'src')).filter((name) => name.endsWith('.graphql'))) {
    cpSync(join(root, 'libs', lib, 'src', file), join(root, 'dist', 'libs', lib, 'src', file));
  }
}
