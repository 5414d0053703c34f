#!/usr/bin/env node
/**
 * clusterdns command line, with CoreDNS's flags:
 *   -conf FILE   Corefile to load (default "Corefile"; "-" reads standard input)
 *   -dns.port N  port for server blocks that name none (default 53)
 *   -validate    parse the Corefile and set up every plugin offline (no cluster, no listeners), list
 *                what could not be checked offline, then exit (0 ok, 1 with FILE:LINE errors)
 *   -plugins     list the plugins this build has
 *   -version     print the version
 *   -quiet       no start-up output
 *   -pidfile F   write the process id to F
 *   -configmap NAMESPACE/NAME[/KEY]  take the Corefile from that ConfigMap's KEY (default "Corefile"),
 *                watched through the API ($KUBECONFIG or in-cluster), each edit applied as a reload;
 *                -conf stays the start-up fallback and the base of imports (clusterdns only)
 *   -workers N   answering threads (clusterdns only; default: the cores the process may use,
 *                capped by its cgroup CPU quota and memory limit — see server/sizing.ts)
 *   -explain NAME [TYPE]  ask a running server why NAME gets its answer (src/explain-cli.ts)
 * Flags take one or two dashes and "-flag value" or "-flag=value", as Go's flag package does.
 * Signals: SIGTERM/SIGINT stop (with health's lameduck), SIGUSR1 reloads the Corefile, SIGHUP is
 * ignored. Run it with `node --disable-sigusr1` (bin.js, `npm start` and the image do) so that a
 * SIGUSR1 can never open Node's inspector, even before these handlers are in place.
 */
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { readUserFileSync, UserFileError } from './corefile/files.ts';
import { resolve } from 'node:path';
import { startServer, type Server } from './server/index.ts';
import { buildGeneration, ConfigErrors } from './server/generation.ts';
import { LoopbackHub } from './server/channels.ts';
import { loadPlugins } from './plugin/registry.ts';
import { VERSION } from './version.ts';
import { defaultWorkers } from './server/sizing.ts';
import { unblockSignal } from './server/native/signals.ts';
import { parseConfigMapRef, type ConfigMapRef } from './server/configmap-ref.ts';
import { readUserFile } from './corefile/files.ts';
import { makeLogger, stdoutSink } from './server/log.ts';

const USAGE = `Usage of clusterdns:
  -conf string
    \tCorefile to load (default "Corefile")
  -configmap string
    \tWatch the Corefile in ConfigMap NAMESPACE/NAME[/KEY] through the API and apply each edit
  -dns.port string
    \tDefault port (default "53")
  -pidfile string
    \tPath to write pid file
  -plugins
    \tList installed plugins
  -quiet
    \tQuiet mode (no initialization output)
  -validate
    \tValidate the Corefile and exit
  -version
    \tShow version
  -workers int
    \tAnswering threads (default: usable cores, within the memory limit)
  -explain NAME [TYPE]
    \tAsk a running clusterdns why NAME gets its answer (-explain.addr HOST:PORT, default 127.0.0.1:9153)
`;

interface Flags { configmap?: ConfigMapRef; conf: string; port: number; validate: boolean; plugins: boolean; version: boolean; quiet: boolean; pidfile?: string; workers: number }

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags {
  const f: Flags = { conf: 'Corefile', port: 53, validate: false, plugins: false, version: false, quiet: false, workers: defaultWorkers() };
  const bools = new Set(['validate', 'plugins', 'version', 'quiet']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-z.]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`flag provided but not defined: ${a}`);
    const name = m[1]!;
    if (bools.has(name)) {
      const v = m[2] ?? 'true';
      if (v !== 'true' && v !== 'false') throw new UsageError(`invalid boolean value "${v}" for -${name}`);
      (f as unknown as Record<string, boolean>)[name] = v === 'true';
      continue;
    }
    if (name === 'configmap') {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      try { f.configmap = parseConfigMapRef(v); } catch (e) { throw new UsageError((e as Error).message); }
      continue;
    }
    if (!['conf', 'dns.port', 'pidfile', 'workers'].includes(name)) throw new UsageError(`flag provided but not defined: -${name}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`flag needs an argument: -${name}`);
    if (name === 'conf') f.conf = v;
    else if (name === 'pidfile') f.pidfile = v;
    else {
      const n = Number(v);
      const max = name === 'workers' ? 256 : 65535;
      if (!Number.isInteger(n) || n < (name === 'workers' ? 1 : 0) || n > max) throw new UsageError(`invalid value "${v}" for flag -${name}`);
      if (name === 'workers') f.workers = n; else f.port = n;
    }
  }
  return f;
}

async function main(): Promise<number> {
  // `-explain NAME [TYPE]` is a client of a running server (src/explain-cli.ts), not a server flag.
  // Imported only then: it loads node:http, which a server without HTTP listeners never needs.
  if (process.argv.slice(2).some((a) => /^--?explain(=|$)/.test(a))) {
    const { runExplain } = await import('./explain-cli.ts');
    return runExplain(process.argv.slice(2));
  }
  let f: Flags;
  try {
    f = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n${USAGE}`);
    return 2;
  }
  if (f.version) {
    process.stdout.write(`clusterdns-${VERSION}\n${process.platform}/${process.arch}, node ${process.version}\n`);
    return 0;
  }
  if (f.plugins) {
    const defs = await loadPlugins();
    process.stdout.write(`Server types:\n  dns\n\nCaddyfile loaders:\n  flag\n  default\n\nOther plugins:\n${[...defs.keys()].map((n) => `  dns.${n}\n`).join('')}`);
    return 0;
  }
  const path = f.conf === '-' ? '-' : resolve(f.conf);
  let text: string;
  try {
    text = f.conf === '-' ? readFileSync(0, 'utf8') : readUserFileSync(path, 'corefile');
  } catch (e) {
    if (e instanceof UserFileError && e.code !== 'ENOENT') { process.stderr.write(`clusterdns: cannot read Corefile ${e.message}\n`); return 1; }
    process.stderr.write(`clusterdns: cannot read Corefile ${f.conf}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file — pass one with -conf FILE' : (e as Error).message}\n`);
    return 1;
  }
  if (f.validate) {
    // Offline: plugins check syntax, options and the files they name, and open no connection,
    // watch or listener; what only a cluster could confirm is listed, and is not an error.
    const unchecked: string[] = [];
    try {
      const g = await buildGeneration({
        text, file: path, dnsPort: f.port, role: 'single', sink: { write: () => {} }, shared: new Map(), hub: new LoopbackHub(),
        mode: 'validate', notChecked: (line) => unchecked.push(line),
      });
      await g.close();
      for (const line of unchecked) process.stdout.write(`${line}\n`);
      process.stdout.write(`${f.conf}: valid\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`${e instanceof ConfigErrors ? e.message : `${f.conf}: ${(e as Error).message}`}\n`);
      return 1;
    }
  }
  // Signal handlers go in before the server starts: with workers, the first one answers queries
  // while the others still load, and a SIGTERM then must stop gracefully (once started), not kill.
  let server: Server | undefined;
  // -configmap: the watch is set up (credentials checked) before the server starts, and started
  // once it serves the -conf file; from then on the ConfigMap's Corefile is the one reloads read.
  let watch: import('./server/configmap.ts').ConfigMapWatch | undefined;
  if (f.configmap) {
    try {
      const { ConfigMapWatch } = await import('./server/configmap.ts');
      watch = new ConfigMapWatch({
        ref: f.configmap, log: makeLogger(stdoutSink, 'reload'),
        target: { reload: (r) => server!.reload(r) },
      });
    } catch (e) {
      process.stderr.write(`clusterdns: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const corefileSource = watch
    ? async () => watch.text ?? (f.conf === '-' ? text : (await readUserFile(path, 'corefile')).text)
    : undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = async (sig: string) => {
    requested ??= sig;
    if (stopping || !server) return;
    stopping = true;
    process.stdout.write(`[INFO] ${requested}: Shutting down\n`);
    await watch?.stop();
    await server.stop();
    if (f.pidfile) rmSync(f.pidfile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // SIGUSR1 is taken at once too: without a listener (and without --disable-sigusr1) Node opens its
  // inspector on 127.0.0.1:9229 when it arrives. A reload asked for during start-up is done once
  // the server runs (several signals make one reload).
  let reloadQueued = false;
  const reload = () => {
    if (!server) { reloadQueued = true; return; }
    if (stopping) return;
    process.stdout.write('[INFO] SIGUSR1: Reloading\n');
    void server.reload({ force: true });
  };
  process.on('SIGUSR1', reload);
  // Under --disable-sigusr1 Node leaves SIGUSR1 blocked; with our listener in place, let it through
  // (one sent while blocked arrives now and is queued as above).
  const blocked = unblockSignal('SIGUSR1');
  if (blocked && process.execArgv.includes('--disable-sigusr1')) process.stderr.write(`[WARNING] SIGUSR1 will not reload the Corefile: ${blocked}\n`);
  // SIGHUP is ignored, as CoreDNS does: a terminal or supervisor hanging up is no reason to stop.
  process.on('SIGHUP', () => {});
  try {
    server = await startServer({ corefilePath: path, corefileText: text, dnsPort: f.port, workers: f.workers, quiet: f.quiet, corefileSource, reduceMemoryWhenIdle: true });
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigErrors ? e.message : `[FATAL] ${(e as Error).message}`}\n`);
    return 1;
  }
  if (f.pidfile) writeFileSync(f.pidfile, `${process.pid}\n`);
  // A fatal event (loop detected, workers that keep dying) was logged by the server; here the
  // process ends with status 1, as CoreDNS's log.Fatal, so the kubelet restarts the pod: at once
  // for a plugin's, after stopping the remaining workers when they are what failed.
  const s = server;
  void s.fatal.then(async (e) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = 1;
    if (e.kind === 'workers') await s.stop().catch(() => {});
    process.exit(1);
  });
  watch?.start();
  if (requested) void stop(requested);
  else if (reloadQueued) reload();
  return -1; // keep running
}

main().then((code) => { if (code >= 0) process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`[FATAL] ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
