/**
 * loop: detect forwarding loops at start (CoreDNS's plugin/loop). Once the server listens, a query
 * `HINFO <random>.<random>.<zone>` is sent to the block's own address over UDP. If that query comes
 * back through this plugin more than twice, queries loop (e.g. forward points at a resolver that
 * points back at us): the server logs CoreDNS's line and exits, instead of spinning at 100 % CPU.
 * Sightings are counted per probe: a probe that got no answer in time (an upstream that is silent,
 * slow, or unreachable) resets the count, so a quiet upstream is never taken for a loop.
 *
 * Threads: the probe runs once, where role !== 'data'; workers answering queries report every
 * sighting of the probe name to that side over a channel, where they are counted.
 *
 * Exit: a detected loop is reported with ctx.fatal(): the server logs
 * `[FATAL] plugin/loop: Loop (...) detected ...` and, unless whoever started it routes fatal
 * events elsewhere (ServerOptions.onFatal), the process exits with status 1, as CoreDNS's does.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { replyTo } from '../../dns/message.ts';
import { isSubdomain } from '../../dns/name.ts';
import { encodeQuery } from '../../dns/codec.ts';
import { Rcode, Type } from '../../dns/types.ts';
import type { Message } from '../../dns/types.ts';
import type { BlockInfo, Channel, Next, Plugin, Request, SetupContext } from '../../plugin/contract.ts';

const DEADLINE_MS = 30_000;   // give up probing after this (CoreDNS: 30s)
const ATTEMPT_MS = 2_000;     // one probe's timeout (miekg/dns Exchange: 2s)
const RETRY_MS = 500;         // wait between failed probes (nobody listening yet: refused at once)
const DISABLE_AFTER_MS = 2_000; // after the probe was answered, stop looking

type Msg = { t: 'want' } | { t: 'name'; qname: string; off: boolean } | { t: 'off' } | { t: 'seen'; remote: string; local: string };

export class Loop implements Plugin {
  readonly name = 'loop';
  readonly zone: string;
  qname: string | undefined;
  seen = 0;
  off = false;
  detected = false;
  private readonly ctx: SetupContext;
  private readonly channel: Channel;
  private timers = new Set<NodeJS.Timeout>();
  private sock: dgram.Socket | undefined;
  private closed = false;

  constructor(zone: string, ctx: SetupContext) {
    this.zone = zone;
    this.ctx = ctx;
    this.channel = ctx.channel('probe');
    if (ctx.role === 'data') {
      this.channel.onMessage((raw) => {
        const m = raw as Msg;
        if (m.t === 'name') { this.qname = m.qname; this.off = m.off; } else if (m.t === 'off') this.off = true;
      });
      this.channel.send({ t: 'want' } satisfies Msg);
    } else {
      this.qname = probeName(zone);
      this.channel.onMessage((raw, reply) => {
        const m = raw as Msg;
        if (m.t === 'want') reply({ t: 'name', qname: this.qname!, off: this.off } satisfies Msg);
        else if (m.t === 'seen') this.sighting(m.remote, m.local);
      });
    }
  }

  serve(req: Request, next: Next): Message | Promise<Message> {
    if (req.qtype !== Type.HINFO || this.qname === undefined) return next(req);
    if (req.qname !== this.qname) return next(req);
    if (this.detected) return replyTo(req.msg, Rcode.SERVFAIL); // break the cycle once it is known
    if (this.off || !isSubdomain(req.qname, this.zone)) return next(req);
    const local = localAddr(this.ctx.block, req);
    const remote = hostPort(req.remoteAddress, req.remotePort);
    if (this.ctx.role === 'data') this.channel.send({ t: 'seen', remote, local } satisfies Msg);
    else this.sighting(remote, local);
    return next(req);
  }

  private sighting(remote: string, local: string): void {
    if (this.off || this.detected) return;
    this.seen++;
    if (this.seen > 2) {
      this.detected = true;
      this.ctx.fatal(`Loop (${remote} -> ${local}) detected for zone "${this.zone}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${this.qname}"`);
    }
  }

  /** Send the probe to our own address; retry until answered or 30 s passed; then stop looking. */
  start(): void {
    if (this.ctx.role === 'data') return;
    const deadline = Date.now() + DEADLINE_MS;
    const attempt = () => {
      if (this.closed || this.off || this.detected) return;
      if (Date.now() >= deadline) { this.disable(); return; }
      this.exchange().then((answered) => {
        if (answered) { this.after(DISABLE_AFTER_MS, () => this.disable()); return; }
        // Unanswered (upstream silent or slow, or nobody listening yet): this probe's sightings
        // are forgotten, as CoreDNS's loop resets after every failed exchange. Only a probe that
        // comes back to us more than twice within one attempt is a loop.
        this.seen = 0;
        this.after(RETRY_MS, attempt);
      });
    };
    attempt();
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    t.unref();
    this.timers.add(t);
  }

  private disable(): void {
    if (this.off) return;
    this.off = true;
    if (this.ctx.role !== 'single') this.channel.send({ t: 'off' } satisfies Msg);
  }

  /** One probe over UDP; true when any answer came back in time. */
  private exchange(): Promise<boolean> {
    const target = probeTarget(this.ctx.block);
    const q = encodeQuery(this.qname!, Type.HINFO, { rd: true });
    return new Promise<boolean>((resolve) => {
      const s = dgram.createSocket(target.includes(':') ? 'udp6' : 'udp4');
      this.sock = s;
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        try { s.close(); } catch { /* closed */ }
        if (this.sock === s) this.sock = undefined;
        resolve(ok);
      };
      const t = setTimeout(() => finish(false), ATTEMPT_MS);
      t.unref();
      s.on('message', (m) => { if (m.length >= 2 && m.readUInt16BE(0) === q.readUInt16BE(0)) finish(true); });
      s.on('error', () => finish(false));
      // Connected, so "port unreachable" (workers not listening yet) comes back as an error at once.
      s.connect(this.ctx.block.port, target, () => s.send(q, (err) => { if (err) finish(false); }));
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    try { this.sock?.close(); } catch { /* closed */ }
  }
}

/** `<random>.<random>.<zone>`, as CoreDNS's two rand.Int() labels, lower-case absolute. */
export function probeName(zone: string): string {
  const b = randomBytes(16);
  const n1 = b.readBigUInt64BE(0) >> 1n, n2 = b.readBigUInt64BE(8) >> 1n;
  return `${n1}.${n2}.${zone === '.' ? '' : zone}`;
}

function probeTarget(block: BlockInfo): string {
  const a = block.listenAddresses[0];
  if (!a || a === '0.0.0.0') return '127.0.0.1';
  if (a === '::') return '::1';
  return a;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address the query came in on as CoreDNS prints it: ":53" when listening on all interfaces. */
function localAddr(block: BlockInfo, req: Request): string {
  if (block.listenAddresses.length === 0) return `:${req.localPort}`;
  return hostPort(req.localAddress, req.localPort);
}
