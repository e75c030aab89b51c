#!/usr/bin/env node
// Builds the SDK (libs/client) for the web client: browser ES modules under
// apps/web/public/vendor/ (gitignored; `npm run build` always makes it). The api serves that
// folder with the rest of the client, so the page loads it from its own origin (the CSP allows
// nothing else). The SDK's one dependency, zod, is copied next to it (its own ESM build) and
// the bare `zod` imports are rewritten to a relative path: browsers cannot resolve bare names
// without an import map, and an import map would be an inline script.
const { execFileSync } = require('node:child_process');
const { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, sep } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'apps', 'web', 'public', 'vendor');
const sdkOut = join(out, 'sdk');
const zodOut = join(out, 'zod');
const bin = (name) => join(root, 'node_modules', '.bin', name);

rmSync(out, { recursive: true, force: true });
const tsconfig = join(root, 'libs', 'client', 'tsconfig.build.json');
execFileSync(bin('tsc'), ['-p', tsconfig, '--outDir', sdkOut, '--declaration', 'false'], { cwd: root, stdio: 'inherit' });
execFileSync(bin('tsc-alias'), ['-p', tsconfig, '--outDir', sdkOut, '--resolve-full-paths'], { cwd: root, stdio: 'inherit' });

// zod's ESM files (index.js and v4/, what `import … from 'zod'` reaches), nothing else.
const zodSrc = join(root, 'node_modules', 'zod');
mkdirSync(zodOut, { recursive: true });
cpSync(join(zodSrc, 'index.js'), join(zodOut, 'index.js'));
cpSync(join(zodSrc, 'LICENSE'), join(zodOut, 'LICENSE'));
cpSync(join(zodSrc, 'v4'), join(zodOut, 'v4'), { recursive: true, filter: (p) => statSync(p).isDirectory() || p.endsWith('.js') });

function* jsFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* jsFiles(p);
    else if (e.name.endsWith('.js')) yield p;
  }
}
let rewritten = 0;
for (const file of jsFiles(sdkOut)) {
  const text = readFileSync(file, 'utf8');
  let rel = relative(dirname(file), join(zodOut, 'index.js')).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const next = text.replace(/(from\s*|import\s*\(\s*|import\s+)(['"])zod\2/g, (_m, lead, q) => `${lead}${q}${rel}${q}`);
  if (/from\s*['"][^./'"][^'"]*['"]/.test(next)) throw new Error(`${file}: a bare import is left (browsers cannot load it)`);
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
writeFileSync(join(out, 'README.md'), 'Built by scripts/build-web-sdk.js (`npm run build`); not in git.\n');
console.error(`> web SDK: ${relative(root, sdkOut)} (${rewritten} files import zod from vendor/zod)`);
