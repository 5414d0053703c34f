/**
 * The data plane of one thread: the DNS listeners and the generation answering on them.
 * Switching to a new generation is two steps, so that a multi-thread reload can be all-or-nothing:
 * prepare opens the new listeners and starts the new plugins beside the serving generation;
 * commit swaps the handler behind each listener that stays and closes the ones no longer wanted,
 * and abort closes what prepare opened instead. The previous generation's plugins are closed once
 * its in-flight queries are done (or after a grace period), so a reload drops nothing.
 */
import type { Logger } from '../plugin/contract.ts';
import type { Generation } from './generation.ts';
import { QueryHandler } from './handler.ts';
import { explainQuery, type ExplainQuery, type ExplainReport } from './explain.ts';
import { listenTcp, listenUdp, type Listener } from './listeners.ts';

const DRAIN_MS = 5_000;

export interface BoundListener { protocol: 'udp' | 'tcp'; address: string; port: number; native?: boolean }

/** A generation prepared beside the serving one (DataPlane.prepare), waiting for commit or abort. */
export interface PreparedSwitch {
  readonly gen: Generation;
  readonly handlers: QueryHandler[];
  readonly wanted: Map<string, QueryHandler>;
  readonly opened: [string, { udp: Listener; tcp: Listener }][];
}

export class DataPlane {
  private readonly listeners = new Map<string, { udp: Listener; tcp: Listener }>();
  private gen: Generation | undefined;
  private handlers: QueryHandler[] = [];
  /** The serving handlers by "address|port" (for /explain). */
  private byListener = new Map<string, QueryHandler>();
  private readonly reusePort: boolean;
  private readonly log: Logger;

  constructor(reusePort: boolean, log: Logger) { this.reusePort = reusePort; this.log = log; }

  get bound(): BoundListener[] {
    const out: BoundListener[] = [];
    for (const { udp, tcp } of this.listeners.values()) {
      out.push({ protocol: 'udp', address: udp.address, port: udp.port, native: udp.native === true }, { protocol: 'tcp', address: tcp.address, port: tcp.port });
    }
    return out;
  }

  /** Switch to `gen` (prepare, then commit). Throws, leaving the old generation serving, as prepare does. */
  async apply(gen: Generation): Promise<void> {
    await this.commit(await this.prepare(gen));
  }

  /**
   * The first half of a switch to `gen`: open the listeners it adds and start its plugins, while
   * the serving generation keeps answering on every listener it has. Throws (having closed what
   * it opened, but not `gen`: the caller closes it) if a new listener cannot be opened or a
   * plugin cannot start. The result is then committed or aborted, exactly once.
   */
  async prepare(gen: Generation): Promise<PreparedSwitch> {
    const wanted = new Map<string, QueryHandler>();
    const handlers: QueryHandler[] = [];
    const opened: [string, { udp: Listener; tcp: Listener }][] = [];
    try {
      for (const spec of gen.listens) {
        const key = `${spec.address}|${spec.port}`;
        const h = new QueryHandler(spec.blocks, this.log);
        handlers.push(h);
        wanted.set(key, h);
        if (this.listeners.has(key)) continue;
        try {
          const udp = await listenUdp(spec.address, spec.port, h, this.reusePort, this.log);
          let tcp: Listener;
          try {
            tcp = await listenTcp(spec.address, spec.port, h, this.reusePort, this.log);
          } catch (e) {
            await udp.close();
            throw e;
          }
          opened.push([key, { udp, tcp }]);
        } catch (e) {
          if (spec.optional) { wanted.delete(key); continue; }
          throw new Error(`listen ${spec.address.includes(':') ? `[${spec.address}]` : spec.address}:${spec.port}: ${(e as Error).message}`);
        }
      }
      // Start the new plugins (side listeners, sources) before they take any traffic from the
      // running listeners: if one fails to start (a side port taken), the old generation keeps
      // serving and the caller closes the new one.
      await gen.start();
    } catch (e) {
      for (const [, l] of opened) { await l.udp.close(); await l.tcp.close(); }
      throw e;
    }
    return { gen, handlers, wanted, opened };
  }

  /** The second half: `p` answers on every listener, the listeners it does not want close, and the previous generation is drained and closed. */
  async commit(p: PreparedSwitch): Promise<void> {
    for (const [key, l] of p.opened) this.listeners.set(key, l);
    for (const [key, l] of this.listeners) {
      const h = p.wanted.get(key);
      if (h) { l.udp.handler = h; l.tcp.handler = h; }
    }
    for (const [key, l] of [...this.listeners]) {
      if (p.wanted.has(key)) continue;
      this.listeners.delete(key);
      await l.udp.close();
      await l.tcp.close();
    }
    const old = this.gen;
    const oldHandlers = this.handlers;
    this.gen = p.gen;
    this.handlers = p.handlers;
    this.byListener = p.wanted;
    if (old) await drainThenClose(old, oldHandlers);
  }

  /** Undo a prepare: close the listeners it opened (after their in-flight queries) and its generation; the serving one is untouched. */
  async abort(p: PreparedSwitch): Promise<void> {
    for (const [, l] of p.opened) { await l.udp.close(); await l.tcp.close(); }
    await drainThenClose(p.gen, p.handlers);
  }

  /** Names of this thread's serving plugins that say they are not ready. */
  notReady(): string[] {
    if (!this.gen) return ['server'];
    return this.gen.plugins.filter((p) => p.ready && !p.ready()).map((p) => p.name);
  }

  /** Run one explained query through this thread's serving generation (GET /explain). */
  explain(q: ExplainQuery): Promise<ExplainReport> { return explainQuery(this.byListener, q); }

  async stop(): Promise<void> {
    for (const l of this.listeners.values()) { await l.udp.close(); await l.tcp.close(); }
    this.listeners.clear();
    if (this.gen) await drainThenClose(this.gen, this.handlers);
    this.gen = undefined;
  }
}

async function drainThenClose(gen: Generation, handlers: QueryHandler[]): Promise<void> {
  const until = Date.now() + DRAIN_MS;
  while (handlers.some((h) => h.inflight > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await gen.close();
}
