/**
 * How a forward whose resolv.conf names no nameserver tells operators, while the rest of the
 * server keeps answering: an `[ERROR] plugin/forward: FILE:LINE: ...` line at start and every 30 s
 * while it lasts, the gauge `coredns_forward_upstreams{server,from}` (0: every forwarded name gets
 * SERVFAIL), and a line on /health (src/plugin/degraded.ts). One reporter per forward instance,
 * on the thread that owns the side listeners (single or control): with worker threads each worker
 * re-reads the file itself, but only one of them logs and counts.
 */
import type { Logger } from '../../plugin/contract.ts';
import { setDegraded } from '../../plugin/degraded.ts';
import { gauge } from '../../metrics/registry.ts';

export const REPEAT_MS = 30_000;

const upstreamsGauge = () => gauge('coredns_forward_upstreams',
  'Number of upstreams forward sends queries to, per server and FROM zone; 0: names it would forward get SERVFAIL (clusterdns only).',
  ['server', 'from']);

/**
 * Several forward instances can share a (server, from) pair (`next` chains; a reload's old and new
 * generation for a moment): the gauge shows the smallest count among them, so 0 means one of them
 * has nothing to forward to.
 */
const counts = new Map<string, Map<object, number>>();

function publish(server: string, from: string): void {
  const key = `${server}\0${from}`;
  const m = counts.get(key);
  if (!m || m.size === 0) {
    counts.delete(key);
    upstreamsGauge().remove({ server, from });
    return;
  }
  upstreamsGauge().set({ server, from }, Math.min(...m.values()));
}

export interface NoUpstreamOptions {
  log: Logger;
  /** Where the forward directive is, for FILE:LINE. */
  at: { file: string; line: number };
  from: string;
  /** The server label ("dns://:53"); read at start, once bind has set the addresses. */
  server: () => string;
  shared: Map<string, unknown>;
  /** How often the files are re-read (for the message). */
  pollMs: number;
  repeatMs?: number;
}

export class NoUpstreamReport {
  private timer: NodeJS.Timeout | undefined;
  private server = '';
  private count = 0;
  private unresolved: { path: string; error: string }[] = [];
  private started = false;

  private readonly o: NoUpstreamOptions;

  constructor(o: NoUpstreamOptions) { this.o = o; }

  /** The state now: how many upstreams are in use and which files name none. */
  update(count: number, unresolved: { path: string; error: string }[]): void {
    this.count = count;
    this.unresolved = unresolved;
    if (!this.started) return;
    this.publish();
    if (unresolved.length > 0 && !this.timer) this.startRepeat();
    if (unresolved.length === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }

  /** The server is up: log now if a file names no nameserver, then every repeatMs while that lasts. */
  start(): void {
    this.started = true;
    this.server = this.o.server();
    this.publish();
    if (this.unresolved.length > 0) {
      this.logNow();
      this.startRepeat();
    }
  }

  close(): void {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    setDegraded(this.o, this, undefined);
    const key = `${this.server}\0${this.o.from}`;
    counts.get(key)?.delete(this);
    if (this.server !== '') publish(this.server, this.o.from);
  }

  /** One line per unresolved file: FILE:LINE: forward: REASON — what it means and what to do. */
  lines(): string[] {
    const { file, line } = this.o.at;
    const every = this.o.pollMs % 1000 === 0 ? `${this.o.pollMs / 1000}s` : `${this.o.pollMs}ms`;
    const effect = this.count === 0
      ? `names under "${this.o.from}" get SERVFAIL until it names a nameserver (re-read every ${every})`
      : `forwarding "${this.o.from}" to the other upstreams until it names a nameserver (re-read every ${every})`;
    return this.unresolved.map((u) => `${file}:${line}: forward: ${u.error} — ${effect}`);
  }

  private publish(): void {
    const key = `${this.server}\0${this.o.from}`;
    let m = counts.get(key);
    if (!m) { m = new Map(); counts.set(key, m); }
    m.set(this, this.count);
    publish(this.server, this.o.from);
    setDegraded(this.o, this, this.unresolved.length > 0 ? this.lines().join('; ') : undefined);
  }

  private logNow(): void {
    for (const l of this.lines()) this.o.log.error(l);
  }

  private startRepeat(): void {
    this.timer = setInterval(() => { if (this.unresolved.length > 0) this.logNow(); }, this.o.repeatMs ?? REPEAT_MS);
    this.timer.unref();
  }
}
