#!/bin/sh
':' //; case "$(node -v 2>/dev/null)" in v2[2-9].1[4-9]*|v2[2-9].[2-9][0-9]*|v2[3-9].*|v[3-9][0-9].*) exec node --disable-sigusr1 "$0" "$@";; *) exec node "$0" "$@";; esac
// The `clusterdns` command. The two lines above are for sh and a no-op for JavaScript: run as a
// program, it starts `node` with --disable-sigusr1 from Node's first instruction where Node has the
// flag (22.14+), and without it on an older Node, which would stop at an unknown flag with "bad
// option" before this file could say what it needs (below, in one line).
// It runs the compiled server in dist/ (src/build.mjs, run by `npm ci` and the container build)
// when dist/ is as new as every source file, else the TypeScript sources with Node's type
// stripping. It starts Node once more, in place (process.execve: same pid, nothing left behind),
// with what the server needs from its first instruction: V8 heap limits that fit the memory limit
// (src/server/sizing.ts), at most two glibc malloc arenas, a fixed mmap threshold, and --disable-sigusr1.
//
// --disable-sigusr1 (here, in `npm start` and in the image's ENTRYPOINT): SIGUSR1 means "reload the
// Corefile", and without that flag a SIGUSR1 that arrives before a listener exists opens Node's
// inspector on 127.0.0.1:9229 — code execution for anything on the node's loopback. Under the flag
// Node keeps SIGUSR1 blocked (the mask survives execve); cli.ts unblocks it once its handler is in
// (server/native/signals.ts), so one sent during start-up becomes a reload once the server runs.
// Until the execve the listeners below take SIGUSR1 and SIGHUP (a reload asked for then is not
// lost: the Corefile is read after it).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.on('SIGUSR1', () => {});
process.on('SIGHUP', () => {});

// 22.19: undici 8 (under @kubernetes/client-node) needs it; type stripping and execve are there too.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`clusterdns needs Node.js >= 22.19 (this is ${process.version}, ${process.execPath}); in a checkout, \`npx clusterdns\` and \`npm start\` run the Node 24 that npm ci installed\n`);
  process.exit(1);
}

const src = dirname(fileURLToPath(import.meta.url));
const dist = join(src, '..', 'dist');

/** Newest modification time of the .ts files under dir. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const compiled = existsSync(join(dist, 'BUILT')) && statSync(join(dist, 'BUILT')).mtimeMs >= newest(src);
const code = compiled ? { dir: dist, ext: '.js' } : { dir: src, ext: '.ts' };
const cli = join(code.dir, `cli${code.ext}`);

// `clusterdns -explain NAME [TYPE]` is a small HTTP client of a running server, often run with
// `kubectl exec` inside the server's own pod, under the same memory limit: run it here, without
// the server's modules or heap flags (src/explain-cli.ts).
if (process.argv.slice(2).some((a) => /^--?explain(=|$)/.test(a))) {
  const { runExplain } = await import(pathToFileURL(join(code.dir, `explain-cli${code.ext}`)).href);
  process.exit(await runExplain(process.argv.slice(2)));
}

const flags = [];
const has = (f) => process.execArgv.some((a) => a === f || a.startsWith(`${f}=`));
if (!has('--disable-sigusr1')) flags.push('--disable-sigusr1');
if (!has('--max-old-space-size') && !has('--max-semi-space-size')) {
  // The heap limits of the main thread follow the memory limit and the thread count (-workers N).
  const { mainHeapFlags } = await import(pathToFileURL(join(code.dir, `server/sizing${code.ext}`)).href);
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => /^--?workers(=|$)/.test(a));
  const workers = Number(i < 0 ? NaN : args[i].includes('=') ? args[i].split('=')[1] : args[i + 1]);
  flags.push(...mainHeapFlags(undefined, workers > 0 ? workers : undefined));
}

// glibc keeps up to 8 malloc arenas per core, each holding on to freed memory: 2 are enough here.
// And its mmap threshold stays at 1 MiB: glibc raises it to the size of each mmap'ed block freed
// (up to 32 MiB), so after the first reload freed a generation's cache (a SharedArrayBuffer of
// ~11 MiB for kubeadm's `cache 30`), the next one came from malloc's heap, zero-filled by calloc
// page by page — all resident while the cache was empty — and went back there when freed, where
// glibc keeps it: RSS grew by 18-34 MiB over 30 reloads, 45 MiB over 100 (test/server/reload-rss).
// Above 1 MiB, every block is its own mapping: untouched pages stay unallocated, and free unmaps.
const env = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: String(2 ** 20), ...process.env };
process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, cli, ...process.argv.slice(2)], env);
