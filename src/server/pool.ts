/**
 * The answering threads of a multi-worker server, seen from the control thread: start N data-plane
 * workers, replace one that dies (at most 5 replacements a minute; then a fatal event, and the
 * caller decides), ask all of them (metrics scrape, readiness) or one of them (/explain), switch
 * them to a new generation in two phases (prepare everywhere, then commit or abort everywhere),
 * and stop them. Every message is one of src/server/messages.ts.
 *
 * /explain: the prometheus listener lives on the control thread and the plugins that answer in the
 * workers, so the query goes to one worker (in turn) over its message port and that worker runs it
 * through its serving generation. Nothing goes over the network and no DNS message can ask for a
 * trace, so no outside client can trigger tracing or read one.
 */
import { Worker } from 'node:worker_threads';
import { panics } from '../metrics/dns.ts';
import type { Logger } from '../plugin/contract.ts';
import type { Envelope } from './channels.ts';
import type { BoundListener } from './dataplane.ts';
import type { ExplainQuery, ExplainReport } from './explain.ts';
import type { FatalEvent } from './fatal.ts';
import type { LogSink } from './log.ts';
import type { FromWorker, GenerationMemory, MetricsJSON, Reply, ToWorker } from './messages.ts';
import { workerResourceLimits } from './sizing.ts';
import type { WorkerData } from './worker.ts';

const ASK_MS = 2_000;          // a scrape or readiness question not answered by then counts as empty / not ready
const EXPLAIN_MS = 15_000;
const SETTLE_MS = 15_000;      // commit/abort: the worker drains in-flight queries (≤ 5 s) before it answers
const RESPAWNS_PER_MINUTE = 5;

/** A generation every worker serves (committed) or is asked to prepare. */
export interface GenerationRef { gen: number; text: string; memory: GenerationMemory }

export interface PoolOptions {
  size: number;
  file: string;
  dnsPort: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  sink: LogSink;
  /** A plugin channel message from a worker (ControlHub.receive). */
  onChannel(env: Envelope, from: Worker): void;
  onFatal(e: FatalEvent): void;
  /** Tests only: make the worker in slot `worker` fail (or be slow to answer) every prepare. */
  fault?: { worker: number; fail?: string; delayMs?: number };
  /** Each worker gives memory back when it goes quiet after a busy spell (src/server/idle-memory.ts). */
  reduceMemoryWhenIdle?: boolean;
}

/** A worker did not answer within the time it had (ask's rejection; otherwise the worker exited). */
class NoAnswer extends Error {}

interface Waiter { match(m: FromWorker): boolean; resolve(m: FromWorker): void; reject(e: Error): void }
interface Member { readonly w: Worker; readonly slot: number; listening: boolean; readonly waiters: Set<Waiter> }

export class WorkerPool {
  /** Every live worker, for ControlHub's broadcasts. */
  readonly ports = new Set<Worker>();
  private readonly o: PoolOptions;
  private readonly members: Member[] = [];
  private committed: GenerationRef | undefined;
  private bound: BoundListener[] = [];
  private serving = false;
  private stopping = false;
  private gaveUp = false;
  private readonly respawns: number[] = [];
  private readonly spawning = new Set<Promise<void>>();
  /** Set while a two-phase switch runs: replacements wait for it, so none starts on a generation about to go. */
  private switching: { done: Promise<void>; end(): void } | undefined;
  private nextId = 0;
  private turn = 0;

  constructor(o: PoolOptions) { this.o = o; }

  get size(): number { return this.o.size; }
  /** The DNS listeners of a worker (they all bind the same ones, with reusePort). */
  get listeners(): BoundListener[] { return this.bound; }

  /** Start every worker on `initial`; resolves once all listen, rejects (all stopped) if one cannot start. */
  async start(initial: GenerationRef): Promise<void> {
    this.committed = initial;
    try {
      await Promise.all(Array.from({ length: this.o.size }, (_, slot) => this.spawn(slot)));
    } catch (e) {
      this.stopping = true;
      await Promise.all(this.members.map((m) => m.w.terminate()));
      throw e;
    }
  }

  /** From now on a worker that dies is replaced (before, a death fails start()). */
  serve(): void { this.serving = true; }

  /** Names of plugins not ready in some worker; 'server' while a worker does not listen yet. */
  async notReady(): Promise<string[]> {
    if (this.members.filter((m) => m.listening).length < this.o.size) return ['server'];
    const lists = await Promise.all(this.members.map((m) => this.ask(m, { t: 'notReady', id: ++this.nextId }, 'notReady', ASK_MS)
      .then((r) => r.names, () => ['worker'])));
    return lists.flat();
  }

  /** Every worker's registry as JSON (a worker that does not answer in time gives []). */
  metrics(): Promise<MetricsJSON[]> {
    return Promise.all(this.members.map((m) => this.workerMetrics(m)));
  }

  metricsByThread(): Promise<{ threadId: number; metrics: MetricsJSON }[]> {
    return Promise.all(this.members.map(async (m) => ({ threadId: m.w.threadId, metrics: await this.workerMetrics(m) })));
  }

  /** Run one explained query in one worker (taken in turn). */
  async explain(q: ExplainQuery): Promise<ExplainReport> {
    if (this.members.length === 0) throw new Error('no worker is running');
    const m = this.members[this.turn++ % this.members.length]!;
    const r = await this.ask(m, { t: 'explain', id: ++this.nextId, q }, 'explained', EXPLAIN_MS);
    if (!r.report) throw new Error(r.error ?? 'explain failed');
    return r.report;
  }

  /**
   * Phase one of a switch: every worker builds and starts `next` beside its serving generation.
   * Resolves with the first failure (a worker's error, its death, or no answer within
   * `timeoutMs`), or undefined when all prepared; then call commit or abort.
   */
  async prepare(next: GenerationRef, timeoutMs: number): Promise<string | undefined> {
    let end!: () => void;
    this.switching = { done: new Promise<void>((r) => { end = r; }), end };
    // A replacement still loading first listens on the committed generation, then joins the switch.
    while (this.spawning.size > 0) await Promise.allSettled([...this.spawning]);
    if (this.members.length === 0) return 'no worker is running';
    const results = await Promise.all(this.members.map((m) => this.ask(m, { t: 'prepare', gen: next.gen, text: next.text, memory: next.memory }, 'prepared', timeoutMs, (r) => r.gen === next.gen)
      .then((r) => r.error, (e: Error) => (e instanceof NoAnswer
        ? `a worker did not prepare the new Corefile within ${timeoutMs / 1000}s`
        : `a ${e.message} before it prepared the new Corefile`))));
    return results.find((e) => e !== undefined);
  }

  /** Phase two, when every worker prepared: serve `next` everywhere; each worker's previous generation is closed. */
  async commit(next: GenerationRef): Promise<void> {
    this.committed = next;   // a worker started from now on loads it
    await this.settle({ t: 'commit', gen: next.gen }, 'committed');
  }

  /** Phase two, when any thread failed: every worker closes what it built of `gen` and keeps serving its generation. */
  abort(gen: number): Promise<void> {
    return this.settle({ t: 'abort', gen }, 'aborted');
  }

  /** Tests only: one worker dies of an uncaught exception. */
  crashOneForTest(): void { this.post(this.members[0], { t: 'crash' }); }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.members.map((m) => this.ask(m, { t: 'stop' }, 'stopped', SETTLE_MS * 2).catch(() => undefined)));
    await Promise.all(this.members.map((m) => m.w.terminate()));
  }

  private async settle(msg: ToWorker & { gen: number }, reply: 'committed' | 'aborted'): Promise<void> {
    try {
      await Promise.all(this.members.map((m) => this.ask(m, msg, reply, SETTLE_MS, (r) => r.gen === msg.gen).catch((e: Error) => {
        this.o.log.warning(`worker: no '${reply}' for generation ${msg.gen}: ${e.message}`);
      })));
    } finally {
      this.switching?.end();
      this.switching = undefined;
    }
  }

  private workerMetrics(m: Member): Promise<MetricsJSON> {
    return this.ask(m, { t: 'metrics', id: ++this.nextId }, 'metrics', ASK_MS).then((r) => r.json, () => []);
  }

  private post(m: Member | undefined, msg: ToWorker): void { m?.w.postMessage(msg); }

  /**
   * Post `msg` to one worker and wait for its reply of type `t` (and, for id'd questions, the same
   * id). Rejects if the worker exits first or does not answer within `ms`.
   */
  private ask<T extends FromWorker['t']>(m: Member, msg: ToWorker, t: T, ms: number, also?: (r: Reply<T>) => boolean): Promise<Reply<T>> {
    const is = (r: FromWorker): r is Reply<T> => r.t === t;
    const id = 'id' in msg ? msg.id : undefined;
    return new Promise<Reply<T>>((resolve, reject) => {
      const timer = setTimeout(() => { m.waiters.delete(waiter); reject(new NoAnswer(`no answer from the worker within ${ms / 1000}s`)); }, ms);
      const waiter: Waiter = {
        match: (r) => is(r) && (id === undefined || ('id' in r && r.id === id)) && (also?.(r) ?? true),
        resolve: (r) => { clearTimeout(timer); if (is(r)) resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      m.waiters.add(waiter);
      this.post(m, msg);
    });
  }

  /** Start one worker in `slot` on the committed generation; resolves once it listens. */
  private spawn(slot: number): Promise<void> {
    const c = this.committed!;
    const f = this.o.fault?.worker === slot ? this.o.fault : undefined;
    const data: WorkerData = {
      text: c.text, file: this.o.file, dnsPort: this.o.dnsPort, gen: c.gen, env: { ...this.o.env }, memory: c.memory,
      ...(this.o.reduceMemoryWhenIdle ? { reduceMemoryWhenIdle: true } : {}),
      ...(f ? { fault: { fail: f.fail, delayMs: f.delayMs } } : {}),
    };
    const w = new Worker(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: workerResourceLimits(this.o.size),   // V8 heap within the container's memory limit
    });
    const m: Member = { w, slot, listening: false, waiters: new Set() };
    this.members.push(m);
    this.ports.add(w);
    const started = new Promise<void>((resolve, reject) => {
      w.on('message', (r: FromWorker) => {
        switch (r.t) {
          case 'ch': this.o.onChannel(r, w); break;
          case 'log': this.o.sink.write(r.line); break;
          case 'fatal': this.o.onFatal({ kind: 'plugin', line: r.line }); break;
          case 'listening': m.listening = true; this.bound = r.listeners; resolve(); break;
          case 'startFailed':
            // A thread that serves nothing is ended: at start-up start() fails; later (a replacement
            // that cannot load the Corefile) its exit counts as a death, replaced within the limit.
            reject(new Error(r.error));
            void w.terminate();
            break;
          default:
            for (const waiter of m.waiters) if (waiter.match(r)) { m.waiters.delete(waiter); waiter.resolve(r); }
        }
      });
      // An uncaught exception ended the thread: a panic nothing recovered, so count it as CoreDNS
      // counts panics (the CoreDNSPanics alert watches coredns_panics_total), then log it.
      w.on('error', (e) => { panics().inc(); this.o.log.error(`worker: ${e.stack ?? e.message}`); reject(e); });
      w.on('exit', (code) => {
        const gone = new Error(`worker exited with code ${code}`);
        reject(gone);
        this.exited(m, code, gone);
      });
    });
    this.spawning.add(started);
    const forget = () => { this.spawning.delete(started); };
    started.then(forget, forget);
    return started;
  }

  private exited(m: Member, code: number, gone: Error): void {
    this.members.splice(this.members.indexOf(m), 1);
    this.ports.delete(m.w);
    for (const waiter of m.waiters) waiter.reject(gone);
    m.waiters.clear();
    if (this.stopping || !this.serving || this.gaveUp) return;
    // A worker that dies is replaced (its socket closed with it; the others kept answering), but
    // not in a tight loop: at most 5 replacements a minute, then a fatal event — the command line
    // exits so the kubelet restarts the pod with its back-off.
    const now = Date.now();
    while (this.respawns.length > 0 && now - this.respawns[0]! > 60_000) this.respawns.shift();
    if (this.respawns.length >= RESPAWNS_PER_MINUTE) {
      this.gaveUp = true;
      const line = `worker exited with code ${code}; ${RESPAWNS_PER_MINUTE} workers died within a minute, giving up`;
      this.o.onFatal({ kind: 'workers', line: `[ERROR] ${line}` });
      return;
    }
    this.respawns.push(now);
    this.o.log.error(`worker exited with code ${code}; starting a new one`);
    // Not in the middle of a switch: the replacement loads the generation the others serve after it.
    const replace = async (): Promise<void> => {
      while (this.switching) await this.switching.done;
      if (!this.stopping) await this.spawn(m.slot);
    };
    replace().catch((e: unknown) => this.o.log.error(`replacing a worker failed: ${(e as Error).message}`));
  }
}
