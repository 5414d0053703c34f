/**
 * The server's lifecycle: start from a Corefile, reload to a new Corefile without closing the
 * ports, stop gracefully. With one worker everything runs in this thread ('single'); with more,
 * this thread is the control plane (plugins set up with role 'control': Kubernetes watches, side
 * HTTP listeners, reload) and each worker thread is a data plane with its own reusePort sockets.
 */
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { readUserFile } from '../corefile/files.ts';
import { AggregatorRegistry } from 'prom-client';
import { registry } from '../metrics/registry.ts';
import { buildInfo, panics } from '../metrics/dns.ts';
import type { Logger } from '../plugin/contract.ts';
import { ControlHub, LoopbackHub, type Envelope } from './channels.ts';
import { DataPlane, type BoundListener } from './dataplane.ts';
import { buildGeneration, ConfigErrors, type Generation } from './generation.ts';
import { goDuration, makeLogger, stdoutSink, type LogSink } from './log.ts';
import { reloadMetrics } from './reload-metrics.ts';
import { VERSION } from '../version.ts';
import { SHARED } from './shared.ts';
import { defaultWorkers, workerResourceLimits } from './sizing.ts';
import { collectAfterReload } from './gc.ts';
import { explainInWorker } from './explain-bridge.ts';
import type { ExplainQuery } from './explain.ts';

export { SHARED };

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
  /** Receives a plugin's `[FATAL] ...` line (SetupContext.fatal); default: log it and exit 1. */
  onFatal?: (line: string) => void;
}

export interface Server {
  readonly listeners: BoundListener[];
  readonly workers: number;
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
  const base = { file: o.corefilePath, dnsPort, sink, shared, env, fatal: o.onFatal };

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
      reload: (r) => reloadWith(r, async (text) => {
        const next = await build(text);
        try { await plane.apply(next); } catch (e) { await next.close(); throw e; }
        gen = next;
        collectAfterReload();
      }),
      stop: () => stopWith(() => plane.stop()),
    };
    singleServer = server;
    afterStart(gen, plane.bound);
    return server;
  }

  // Control plane in this thread, data planes in workers.
  const ports = new Set<Worker>();
  let hub = new ControlHub(`g${genId}:`, ports);
  let gen = await buildGeneration({ ...base, text: currentText, role: 'control', hub });
  let genText = currentText;   // the Corefile of `gen`: a replacement worker gets it with gen.memory
  const pool: Worker[] = [];
  const pendingMetrics = new Map<number, (json: unknown) => void>();
  const pendingReady = new Map<number, (names: string[]) => void>();
  let metricsId = 0;
  let bound: BoundListener[] = [];
  const hubs = new Set<ControlHub>([hub]);
  let started = 0;
  // The ready plugin runs here, but the plugins that answer are in the workers: ask them too.
  shared.set(SHARED.workersNotReady, async () => {
    if (started < workers) return ['server'];
    const lists = await Promise.all(pool.map((w) => new Promise<string[]>((resolve) => {
      const id = ++metricsId;
      const t = setTimeout(() => { pendingReady.delete(id); resolve(['worker']); }, 2_000);
      pendingReady.set(id, (names) => { clearTimeout(t); pendingReady.delete(id); resolve(names); });
      w.postMessage({ t: 'ready?', id });
    })));
    return lists.flat();
  });
  let stopping = false;
  let serving = false;
  const respawns: number[] = [];
  /** Start one data-plane worker on the current Corefile; resolves once it listens. */
  const spawn = () => new Promise<void>((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url), {
      workerData: { text: genText, file: o.corefilePath, dnsPort, gen: genId, env: { ...env }, memory: gen.memory },
      resourceLimits: workerResourceLimits(workers),   // V8 heap within the container's memory limit
    });
    pool.push(w);
    ports.add(w);
    w.on('message', (m: { t: string } & Record<string, unknown>) => {
      switch (m.t) {
        case 'ch': for (const h of hubs) h.receive(m as unknown as Envelope, w); break;
        case 'log': sink.write(m.line as string); break;
        case 'ready':
          if (m.id !== undefined) pendingReady.get(m.id as number)?.(m.notReady as string[]);
          else { bound = m.listeners as BoundListener[]; started++; resolve(); }
          break;
        case 'failed': reject(new Error(m.error as string)); break;
        case 'metrics': pendingMetrics.get(m.id as number)?.(m.json); break;
        default: w.emit(`x:${m.t}`, m);
      }
    });
    // An uncaught exception ended the thread: a panic nothing recovered, so count it as CoreDNS
    // counts panics (the CoreDNSPanics alert watches coredns_panics_total), then log it.
    w.on('error', (e) => { panics().inc(); log.error(`worker: ${e.stack ?? e.message}`); reject(e); });
    w.on('exit', (code) => {
      pool.splice(pool.indexOf(w), 1);
      ports.delete(w);
      w.emit('x:gone', { t: 'gone', error: `worker exited with code ${code}` });
      if (stopping || !serving) return;
      // A worker that dies is replaced (its socket closed with it; the others kept answering),
      // but not in a tight loop: at most 5 replacements a minute, then the process exits so the
      // kubelet restarts the pod with its back-off.
      const now = Date.now();
      while (respawns.length > 0 && now - respawns[0]! > 60_000) respawns.shift();
      if (respawns.length >= 5) {
        log.error(`worker exited with code ${code}; 5 workers died within a minute, giving up`);
        process.exitCode = 1;
        void server.stop().finally(() => process.exit(1));
        return;
      }
      respawns.push(now);
      started--;
      log.error(`worker exited with code ${code}; starting a new one`);
      spawn().catch((e: unknown) => log.error(`replacing a worker failed: ${(e as Error).message}`));
    });
  });
  try {
    await Promise.all(Array.from({ length: workers }, spawn));
    // Start the control side (side HTTP listeners, the wait for the Kubernetes sync) only once
    // every worker listens, as in single-thread mode: /ready must not say 200 (and send traffic
    // here) while no socket is open on the DNS port yet.
    await gen.start();
    serving = true;
  } catch (e) {
    stopping = true;
    await Promise.all(pool.map((w) => w.terminate()));
    await gen.close();
    throw e;
  }
  /** One worker's registry as JSON ([] if it does not answer within 2 s). */
  const workerMetrics = (w: Worker) => new Promise<unknown>((resolve) => {
    const id = ++metricsId;
    const t = setTimeout(() => { pendingMetrics.delete(id); resolve([]); }, 2_000);
    pendingMetrics.set(id, (json) => { clearTimeout(t); pendingMetrics.delete(id); resolve(json); });
    w.postMessage({ t: 'metrics', id });
  });
  shared.set(SHARED.metrics, async () => {
    const jsons = await Promise.all([registry.getMetricsAsJSON(), ...pool.map(workerMetrics)]);
    const agg = AggregatorRegistry.aggregate(jsons as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    return { text: await agg.metrics(), contentType: agg.contentType };
  });
  shared.set(SHARED.explain, (q: ExplainQuery) => explainInWorker(pool, q));
  /** Send a command to a worker and wait for its reply (or for it to exit). */
  const ask = (w: Worker, msg: unknown, reply: string) => new Promise<Record<string, unknown>>((resolve) => {
    const done = (m: Record<string, unknown>) => { w.off(`x:${reply}`, done); w.off('x:gone', done); resolve(m); };
    w.once(`x:${reply}`, done);
    w.once('x:gone', done);
    w.postMessage(msg);
  });
  const server: Server = {
    get listeners() { return bound; },
    workers,
    crashWorkerForTest: () => pool[0]?.postMessage({ t: 'crash' }),
    workerMetricsForTest: () => Promise.all(pool.map(async (w) => ({ threadId: w.threadId, metrics: await workerMetrics(w) }))),
    reload: (r) => reloadWith(r, async (text) => {
      const id = genId + 1;
      const nextHub = new ControlHub(`g${id}:`, ports);
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
        throw e;
      };
      // A plugin that cannot start (a side port taken) leaves the running generation serving.
      try { await next.start(); } catch (e) { await abandon(e); }
      const results = await Promise.all(pool.map((w) => ask(w, { t: 'reload', text, gen: id, memory: next.memory }, 'reloaded')));
      // No worker could switch (its new DNS port is taken, ...): they all still serve the old
      // generation, so the control side stays on it too and the reload fails.
      if (results.every((r) => r.error)) await abandon(new Error(String(results[0]!.error)));
      const failed = results.find((r) => r.error);
      if (failed) {
        // Workers that could not switch keep the old generation; keep its control side too.
        log.error(`a worker could not switch to the new Corefile: ${String(failed.error)}`);
      }
      const old = gen;
      genId = id;
      gen = next;
      genText = text;
      hub = nextHub;
      for (const h of hubs) if (h !== nextHub && !failed) hubs.delete(h);
      if (!failed) { await old.close(); collectAfterReload(); }
    }),
    stop: () => stopWith(async () => {
      stopping = true;
      await Promise.all(pool.map((w) => ask(w, { t: 'stop' }, 'stopped')));
      await Promise.all(pool.map((w) => w.terminate()));
      await gen.close();
    }),
  };
  multiServer = server;
  afterStart(gen, bound);
  return server;

  function afterStart(g: Generation, l: BoundListener[]): void {
    reloadMetrics().version.set({ hash: 'sha512', value: sha512(currentText) }, 1);
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
      const msg = e instanceof ConfigErrors ? e.message.split('\n').join('; ') : (e as Error).message;
      log.error(`Restart failed: ${msg}`);
      reloadMetrics().failed.inc();
      r?.onError?.(msg);
      return false;
    }
    currentText = text;
    reloadMetrics().version.reset();
    reloadMetrics().version.set({ hash: 'sha512', value: sha512(text) }, 1);
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
  }
}

function sha512(s: string): string { return createHash('sha512').update(s).digest('hex'); }

export type { BoundListener, Logger };
