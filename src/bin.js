#!/usr/bin/env node
// The `clusterdns` command. The code is TypeScript run by Node's type stripping: on by default
// from Node 22.18/23.6; on 22.12–22.17 this re-runs itself with --experimental-strip-types.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
if (process.features.typescript) {
  await import(cli);
} else {
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
