#!/usr/bin/env -S node --disable-sigusr1
// The `clusterdns` command. The code is TypeScript run by Node's type stripping: on by default
// from Node 22.18/23.6; on 22.14–22.17 this re-runs itself with --experimental-strip-types.
//
// --disable-sigusr1 (in the line above, in `npm start` and in the image's ENTRYPOINT): SIGUSR1 means
// "reload the Corefile", and without that flag a SIGUSR1 that arrives before a listener exists opens
// Node's inspector on 127.0.0.1:9229 — code execution for anything on the node's loopback. Under the
// flag Node keeps SIGUSR1 blocked; cli.ts unblocks it once its handler is in (server/native/signals.ts),
// so one sent during start-up becomes a reload once the server runs. For a plain `node src/bin.js`
// (no flag) the listeners below shorten the window as much as this file can: a SIGUSR1 or SIGHUP
// before cli.ts installs its handlers is dropped (the Corefile read next is the current one).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

process.on('SIGUSR1', () => {});
process.on('SIGHUP', () => {});

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
if (process.features.typescript) {
  await import(cli);
} else {
  const r = spawnSync(process.execPath, ['--disable-sigusr1', '--experimental-strip-types', '--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
