#!/usr/bin/env node
// Runs before `npm start` and `npm test`: on a fresh clone it installs dependencies and
// builds; afterwards it rebuilds only when a source file is newer than the build.
// Plain Node with no dependencies, because it runs before they exist.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'results') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.lua')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  console.error('> installing dependencies (npm ci)');
  run('npm ci --no-audit --no-fund');
}

const stamp = join(root, 'dist', '.built');
const sources = Math.max(...['apps', 'libs', 'bench', 'scripts'].filter((d) => existsSync(join(root, d))).map((d) => newestMtime(join(root, d))));
// The web client's copy of the SDK (apps/web/public/vendor, gitignored) is part of the build.
const webSdk = join(root, 'apps', 'web', 'public', 'vendor', 'sdk', 'client', 'src', 'index.js');
if (!existsSync(stamp) || !existsSync(webSdk) || statSync(stamp).mtimeMs < sources) {
  console.error('> building (tsc)');
  run('npm run build');
  require('node:fs').writeFileSync(stamp, new Date().toISOString());
}
