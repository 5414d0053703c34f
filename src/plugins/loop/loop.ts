/**
 * loop: detect forwarding loops at start (CoreDNS's plugin/loop). Once the server listens, a query
 * `HINFO <random>.<random>.<zone>` is sent to the block's own address over UDP. If that query comes
 * back through this plugin more than twice, queries loop (e.g. forward points at a resolver that
 * points back at us): the server logs CoreDNS's line and exits, instead of spinning at 100 % CPU.
 * Sightings are counted per probe: a probe that got no answer in time (an upstream that is silent,
 * slow, or unreachable) resets the count, so a quiet upstream is never taken for a loop.
 *
 * Two parts (src/plugin/parts.ts): the probe runs once per process in the control part
 * (LoopProbe), which publishes the probe name and its state to every answering thread
 * (replicated()); the answering part (LoopWatch) sees queries and reports each sighting of the
 * probe back (reporter()), where they are counted. In a single thread both parts talk alike.
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
import type { BlockInfo, ControlPart, Next, Plugin, Request, SetupContext } from '../../plugin/contract.ts';
import { replicated, type Replicated } from '../../plugin/replicated.ts';
import { reporter, type Reporter } from '../../plugin/reporter.ts';

const DEADLINE_MS = 30_000;   // give up probing after this (CoreDNS: 30s)
const ATTEMPT_MS = 2_000;     // one probe's timeout (miekg/dns Exchange: 2s)
const RETRY_MS = 500;         // wait between failed probes (nobody listening yet: refused at once)
const DISABLE_AFTER_MS = 2_000; // after the probe was answered, stop looking

/** What the control part tells every answering thread: the probe to watch for, and whether to still look. */
export interface ProbeState {
  readonly qname: string;
  /** Probing is over (answered, or 30 s passed): stop looking. */
  readonly off: boolean;
  /** A loop was found: answer the probe with SERVFAIL to break the cycle. */
  readonly detected: boolean;
}

/** An answering thread saw the probe come in: from whom, on which local address. */
export interface Sighting { readonly remote: string; readonly local: string }

/** The control part: sends the probe, counts the sightings, decides. */
export class LoopProbe implements ControlPart {
  readonly name = 'loop';
  readonly zone: string;
  readonly qname: string;
  seen = 0;
  private state: ProbeState;
  private readonly ctx: SetupContext;
  private readonly published: Replicated<ProbeState>;
  private readonly sightings: Reporter<Sighting>;
  private timers = new Set<NodeJS.Timeout>();
  private sock: dgram.Socket | undefined;
  private closed = false;

  constructor(zone: string, ctx: SetupContext) {
    this.zone = zone;
    this.ctx = ctx;
    this.qname = probeName(zone);
    this.state = { qname: this.qname, off: false, detected: false };
    this.published = replicated<ProbeState>(ctx, 'probe');
    this.published.publish(this.state);
    this.sightings = reporter<Sighting>(ctx, 'seen');
    this.sightings.onReport((s) => this.sighting(s));
  }

  get off(): boolean { return this.state.off; }
  get detected(): boolean { return this.state.detected; }

  private update(change: Partial<ProbeState>): void {
    this.state = { ...this.state, ...change };
    this.published.publish(this.state);
  }

  private sighting(s: Sighting): void {
    if (this.state.off || this.state.detected || this.closed) return;
    this.seen++;
    if (this.seen > 2) {
      this.update({ detected: true });
      this.ctx.fatal(`Loop (${s.remote} -> ${s.local}) detected for zone "${this.zone}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${this.qname}"`);
    }
  }

  /** Send the probe to our own address; retry until answered or 30 s passed; then stop looking. */
  start(): void {
    if (this.ctx.mode === 'validate') return;
    const deadline = Date.now() + DEADLINE_MS;
    const attempt = () => {
      if (this.closed || this.state.off || this.state.detected) return;
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
    if (this.state.off || this.closed) return;
    this.update({ off: true });
  }

  /** One probe over UDP; true when any answer came back in time. */
  private exchange(): Promise<boolean> {
    const target = probeTarget(this.ctx.block);
    const q = encodeQuery(this.qname, Type.HINFO, { rd: true });
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
    this.published.close();
    this.sightings.close();
  }
}

/** The answering part: watches for the probe and reports each sighting to the control part. */
export class LoopWatch implements Plugin {
  readonly name = 'loop';
  readonly zone: string;
  private readonly block: BlockInfo;
  private readonly probe: Replicated<ProbeState>;
  private readonly sightings: Reporter<Sighting>;

  constructor(zone: string, ctx: SetupContext) {
    this.zone = zone;
    this.block = ctx.block;
    this.probe = replicated<ProbeState>(ctx, 'probe');
    this.sightings = reporter<Sighting>(ctx, 'seen');
  }

  serve(req: Request, next: Next): Message | Promise<Message> {
    if (req.qtype !== Type.HINFO) return next(req);
    const p = this.probe.value;
    if (p === undefined || req.qname !== p.qname) return next(req);
    if (p.detected) return replyTo(req.msg, Rcode.SERVFAIL); // break the cycle once it is known
    if (p.off || !isSubdomain(req.qname, this.zone)) return next(req);
    this.sightings.report({ remote: hostPort(req.remoteAddress, req.remotePort), local: localAddr(this.block, req) });
    return next(req);
  }

  close(): void {
    this.probe.close();
    this.sightings.close();
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
