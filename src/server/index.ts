/**
 * The server's lifecycle: start from a Corefile, reload to a new Corefile without closing the
 * ports, stop gracefully. With one worker everything runs in this thread ('single'); with more,
 * this thread is the control plane (plugins set up with role 'control': Kubernetes watches, side
 * HTTP listeners, reload) and a WorkerPool (pool.ts) runs the data planes, each worker thread with
 * its own reusePort sockets. A reload is all-or-nothing across the threads. Nothing here exits the
 * process: fatal events go to whoever started the server (ServerOptions.onFatal, Server.fatal).
 */
import { readUserFile } from '../corefile/files.ts';
import { AggregatorRegistry } from '../metrics/prom.ts';
import { registry } from '../metrics/registry.ts';
import { buildInfo, panics } from '../metrics/dns.ts';
import type { Logger } from '../plugin/contract.ts';
import { ControlHub, LoopbackHub } from './channels.ts';
import { DataPlane, type BoundListener } from './dataplane.ts';
import { buildGeneration, type Generation } from './generation.ts';
import { goDuration, makeLogger, stdoutSink, type LogSink } from './log.ts';
import { reloadMetrics, servedCorefile } from './reload-metrics.ts';
import { VERSION } from '../version.ts';
import { SHARED } from './shared.ts';
import { defaultWorkers } from './sizing.ts';
import { collectNow as collectAfterReload } from '../plugin/collect.ts';
import { reduceMemoryWhenIdle } from './idle-memory.ts';
import type { ExplainQuery } from './explain.ts';
import type { FatalEvent } from './fatal.ts';
import { WorkerPool } from './pool.ts';

export { SHARED };
export type { FatalEvent };

/** How long every worker has to prepare a new generation before the reload fails (ServerOptions.reloadTimeoutMs). */
const RELOAD_TIMEOUT_MS = 30_000;

export interface ServerOptions {
  corefilePath: string;       // for errors and relative paths; "-" for stdin
  corefileText?: string;      // the Corefile's content (read from corefilePath when absent)
  dnsPort?: number;           // port for blocks that name none (CoreDNS's -dns.port), default 53
  workers?: number;           // answering threads; default: defaultWorkers(); 1 = all in this thread
  quiet?: boolean;            // no start-up banner
  sink?: LogSink;             // where log lines go (stdout)
  env?: NodeJS.ProcessEnv;
  /**
   * Where reload() without text (and so SIGUSR1) reads the Corefile, instead of corefilePath:
   * -configmap's watch. The source applies its own changes, so the reload plugin's poll is off.
   */
  corefileSource?: () => Promise<string>;
  /**
   * Receives each fatal event (a plugin's SetupContext.fatal, worker threads that keep dying),
   * after the server logged its line. The server never exits the process; Server.fatal resolves
   * with the first event too. The command line stops and exits 1 (src/cli.ts).
   */
  onFatal?: (e: FatalEvent) => void;
  /** With workers: how long each has to prepare a reload's new generation (default 30 s); later is a failed reload. */
  reloadTimeoutMs?: number;
  /**
   * Tests only, with workers: the worker in slot `worker` (0-based) fails every reload's prepare
   * with the error `fail`, or answers it only after `delayMs`.
   */
  reloadFaultForTest?: { worker: number; fail?: string; delayMs?: number };
  /**
   * Give memory back in every thread once it goes quiet after a busy spell (src/server/idle-memory.ts).
   * The command line sets it; off by default, so tests that run servers inside the test process
   * get no collections they did not ask for.
   */
  reduceMemoryWhenIdle?: boolean;
}

export interface Server {
  readonly listeners: BoundListener[];
  readonly workers: number;
  /** Resolves with the first fatal event (see ServerOptions.onFatal); the server keeps running until stopped. */
  readonly fatal: Promise<FatalEvent>;
  /** Tests only: make one worker thread die with an uncaught exception (multi-worker mode). */
  crashWorkerForTest?(): void;
  /** Tests only: each worker thread's own metrics (prom-client JSON), before /metrics sums them. */
  workerMetricsForTest?(): Promise<{ threadId: number; metrics: unknown }[]>;
  /** Re-read the Corefile and switch to it if it changed (or always with force). False if it was kept. */
  reload(opts?: { force?: boolean; text?: string; onError?: (message: string) => void }): Promise<boolean>;
  stop(): Promise<void>;
}


export async function startServer(o: ServerOptions): Promise<Server> {
  const sink = o.sink ?? stdoutSink;
  const log = makeLogger(sink);
  const dnsPort = o.dnsPort ?? 53;
  const workers = Math.max(1, o.workers ?? defaultWorkers());
  const env = o.env ?? process.env;
  const readCorefile = o.corefileSource ?? (async (): Promise<string> => (o.corefilePath === '-' ? currentText : (await readUserFile(o.corefilePath, 'corefile')).text));
  let currentText = o.corefileText ?? (await readUserFile(o.corefilePath, 'corefile')).text;
  const shared = new Map<string, unknown>();
  if (!o.corefileSource) shared.set(SHARED.corefileText, readCorefile);
  shared.set(SHARED.sink, sink);
  buildInfo().set({ version: VERSION, revision: '', goversion: process.version }, 1);
  panics(); // exported from the start (at 0), as CoreDNS registers it, not only after a first panic
  let genId = 0;
  let reloadChain: Promise<unknown> = Promise.resolve();
  const queued = new Map<'force' | 'plain', Promise<boolean>>();
  let singleServer: Server | undefined;
  let multiServer: Server | undefined;
  let firstFatal!: (e: FatalEvent) => void;
  const fatal = new Promise<FatalEvent>((r) => { firstFatal = r; });
  const reportFatal = (e: FatalEvent): void => {
    sink.write(e.line);
    o.onFatal?.(e);
    firstFatal(e);
  };
  const base = { file: o.corefilePath, dnsPort, sink, shared, env, fatal: (line: string) => reportFatal({ kind: 'plugin', line }) };
  const stopIdleMemory = o.reduceMemoryWhenIdle ? reduceMemoryWhenIdle() : () => {};

  if (workers === 1) {
    const plane = new DataPlane(false, log);
    const build = (text: string) => buildGeneration({ ...base, text, role: 'single', hub: new LoopbackHub() });
    let gen = await build(currentText);
    try {
      await plane.apply(gen);
    } catch (e) {
      await gen.close();
      throw e;
    }
    shared.set(SHARED.metrics, async () => ({ text: await registry.metrics(), contentType: registry.contentType }));
    shared.set(SHARED.explain, (q: ExplainQuery) => plane.explain(q));
    const server: Server = {
      get listeners() { return plane.bound; },
      workers,
      fatal,
      reload: (r) => reloadWith(r, async (text) => {
        const next = await build(text);
        try {
          await plane.apply(next);
        } catch (e) {
          await next.close();
          shared.set(SHARED.generationPlugins, gen.plugins);   // next.start() may have pointed it at the abandoned plugins
          throw e;
        }
        gen = next;
        collectAfterReload();
      }),
      stop: () => stopWith(() => plane.stop()),
    };
    singleServer = server;
    afterStart(gen, plane.bound);
    return server;
  }

  // Control plane in this thread, data planes in workers (src/server/pool.ts).
  const pool = new WorkerPool({
    size: workers, file: o.corefilePath, dnsPort, env, log, sink,
    onChannel: (e, from) => { for (const h of hubs) h.receive(e, from); },
    onFatal: reportFatal,
    ...(o.reloadFaultForTest ? { fault: o.reloadFaultForTest } : {}),
    reduceMemoryWhenIdle: o.reduceMemoryWhenIdle === true,
  });
  const hub = new ControlHub(`g${genId}:`, pool.ports);
  // Hubs of the control generations alive: the serving one, and one being switched to.
  const hubs = new Set<ControlHub>([hub]);
  let gen = await buildGeneration({ ...base, text: currentText, role: 'control', hub });
  // The ready plugin runs here, but the plugins that answer are in the workers: ask them too.
  shared.set(SHARED.workersNotReady, () => pool.notReady());
  try {
    await pool.start({ gen: genId, text: currentText, memory: gen.memory });
    // Start the control side (side HTTP listeners, the wait for the Kubernetes sync) only once
    // every worker listens, as in single-thread mode: /ready must not say 200 (and send traffic
    // here) while no socket is open on the DNS port yet.
    await gen.start();
    pool.serve();
  } catch (e) {
    await pool.stop();
    await gen.close();
    throw e;
  }
  shared.set(SHARED.metrics, async () => {
    const jsons = await Promise.all([registry.getMetricsAsJSON(), ...await pool.metrics()]);
    const agg = AggregatorRegistry.aggregate(jsons);
    return { text: await agg.metrics(), contentType: agg.contentType };
  });
  shared.set(SHARED.explain, (q: ExplainQuery) => pool.explain(q));
  const server: Server = {
    get listeners() { return pool.listeners; },
    workers,
    fatal,
    crashWorkerForTest: () => pool.crashOneForTest(),
    workerMetricsForTest: () => pool.metricsByThread(),
    reload: (r) => reloadWith(r, async (text) => {
      // All or nothing: the new generation is built and started here and prepared in every worker
      // beside the serving one; only when every thread has it does any switch. If one fails (a
      // Corefile error, a file or port one side cannot use, a worker that dies or does not answer
      // in time), what was built is closed everywhere and every thread keeps the old generation.
      const id = ++genId;   // never reused, not even after a failed attempt: a late worker's stale build cannot meet a new one
      const nextHub = new ControlHub(`g${id}:`, pool.ports);
      hubs.add(nextHub);
      let next: Generation;
      try {
        next = await buildGeneration({ ...base, text, role: 'control', hub: nextHub });
      } catch (e) {
        hubs.delete(nextHub);
        throw e;
      }
      const abandon = async (e: unknown): Promise<never> => {
        hubs.delete(nextHub);
        await next.close();
        shared.set(SHARED.generationPlugins, gen.plugins);   // next.start() pointed it at the abandoned plugins
        throw e;
      };
      // A plugin that cannot start (a side port taken) leaves the running generation serving.
      try { await next.start(); } catch (e) { await abandon(e); }
      const ref = { gen: id, text, memory: next.memory };
      const failure = await pool.prepare(ref, o.reloadTimeoutMs ?? RELOAD_TIMEOUT_MS);
      if (failure !== undefined) {
        await pool.abort(id);
        await abandon(new Error(failure));   // a worker's own error (FILE:LINE: ...), its death or its silence
      }
      await pool.commit(ref);
      const old = gen;
      gen = next;
      for (const h of hubs) if (h !== nextHub) hubs.delete(h);
      await old.close();
      collectAfterReload();
    }),
    stop: () => stopWith(async () => {
      await pool.stop();
      await gen.close();
    }),
  };
  multiServer = server;
  afterStart(gen, pool.listeners);
  return server;

  function afterStart(g: Generation, l: BoundListener[]): void {
    servedCorefile(currentText);
    shared.set(SHARED.reload, () => (workers === 1 ? singleServer : multiServer)?.reload());
    if (o.quiet) return;
    const keys = new Set<string>();
    for (const i of g.infos) for (const z of i.zones) keys.add(`${z}:${i.port}`);
    for (const k of keys) sink.write(k);
    sink.write(`clusterdns-${VERSION}`);
    sink.write(`${process.platform}/${process.arch}, node ${process.version}, ${workers} worker${workers === 1 ? '' : 's'}`);
    const seen = new Set<string>();
    for (const x of l) {
      const a = `${x.protocol} ${x.address.includes(':') ? `[${x.address}]` : x.address}:${x.port}`;
      const how = x.protocol === 'udp' ? (x.native ? ' (batched recvmmsg/sendmmsg)' : ' (node:dgram)') : '';
      if (!seen.has(a)) { seen.add(a); sink.write(`listening on ${a}${how}`); }
    }
  }

  /**
   * One reload at a time: each builds a whole generation (at 10k Services a second copy of the
   * cluster index and a full relist), so overlapping ones multiplied memory (a burst of SIGUSR1s
   * held several generations at once). Requests made while another waits to start share it.
   */
  function reloadWith(r: { force?: boolean; text?: string; onError?: (message: string) => void } | undefined, swap: (text: string) => Promise<void>): Promise<boolean> {
    const kind = r?.text !== undefined ? undefined : r?.force ? 'force' : 'plain';
    const waiting = kind && queued.get(kind);
    if (waiting) return waiting;
    const run = reloadChain.then(() => {
      if (kind && queued.get(kind) === run) queued.delete(kind);
      return reloadOnce(r, swap);
    });
    if (kind) queued.set(kind, run);
    reloadChain = run.catch(() => {});
    return run;
  }

  async function reloadOnce(r: { force?: boolean; text?: string; onError?: (message: string) => void } | undefined, swap: (text: string) => Promise<void>): Promise<boolean> {
    let text: string;
    try {
      text = r?.text ?? await readCorefile();
    } catch (e) {
      log.error(`Restart failed: ${(e as Error).message}`);
      reloadMetrics().failed.inc();
      r?.onError?.((e as Error).message);
      return false;
    }
    if (!r?.force && text === currentText) return false;
    try {
      await swap(text);
    } catch (e) {
      const msg = (e as Error).message.split('\n').join('; ');   // ConfigErrors (here or from a worker): FILE:LINE each
      log.error(`Restart failed: ${msg}`);
      reloadMetrics().failed.inc();
      r?.onError?.(msg);
      return false;
    }
    currentText = text;
    servedCorefile(text);
    log.info(`Reloading complete`);
    return true;
  }

  async function stopWith(stopPlanes: () => Promise<void>): Promise<void> {
    shared.set(SHARED.shuttingDown, true);   // /ready answers 503 "Shutting down" from now on
    const ld = shared.get(SHARED.lameduck) as { ms: number } | undefined;
    if (ld && ld.ms > 0) {
      log.info(`plugin/health: Going into lameduck mode for ${goDuration(ld.ms)}`);
      await new Promise((r) => setTimeout(r, ld.ms));
    }
    await stopPlanes();
    stopIdleMemory();
  }
}

export type { BoundListener, Logger };
