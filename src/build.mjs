#!/usr/bin/env node
/**
 * Compiles src/*.ts to plain JavaScript in dist/ (tsconfig.build.json: same layout, imports
 * rewritten from .ts to .js), so the server runs compiled code: no type stripping at run time,
 * which costs every thread 17–35 MiB of memory and start-up time (measured in issue 10's notes).
 * Also copies the native addons (src/server/native/build/*.node: batched UDP, signals, memory) beside the
 * compiled native/*.js, which load them from their own folder.
 *
 * Run by the root package.json "install" script after the addon build (`npm ci`), by the container
 * build, and by `npm run build`. src/bin.js runs dist/cli.js when dist/ is at least as new as every
 * source file, and the TypeScript sources otherwise. Without TypeScript (`npm ci --omit=dev`) it
 * prints one line and exits 0; `--strict` (the container build) exits 1 instead.
 *
 *   node src/build.mjs [--strict] [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? resolve(args[outAt + 1]) : join(root, 'dist');
const addons = (dir) => join(dir, 'server/native/build');

let tsc;
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin/tsc');
} catch {
  console.warn('clusterdns: TypeScript is not installed (npm ci --omit=dev), so src/ is not compiled; the server runs its .ts sources with Node\'s type stripping');
  process.exit(strict ? 1 : 0);
}
rmSync(out, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  console.warn(`clusterdns: compiling src/ failed (tsc exit ${r.status}); the server runs its .ts sources`);
  process.exit(strict ? 1 : 0);
}
const built = addons(join(root, 'src'));
for (const f of existsSync(built) ? readdirSync(built).filter((f) => f.endsWith('.node')) : []) {
  mkdirSync(addons(out), { recursive: true });
  copyFileSync(join(built, f), join(addons(out), f));
}
// Written last: src/bin.js compares the sources' modification times with this file's.
writeFileSync(join(out, 'BUILT'), `${new Date().toISOString()}\n`);
