/**
 * One upstream: its transports (UDP; TCP or TLS) and its health. As CoreDNS's plugin/pkg/proxy:
 * an exchange error kicks off health checking (`. IN NS`, or the configured domain, every
 * `health_check` interval) which repeats until the upstream answers; each failed check counts a
 * fail, a good one resets the count. The upstream is down when fails > max_fails.
 */
import tls from 'node:tls';
import { decode } from '../../dns/codec.ts';
import type { UpstreamAddr } from './hosts.ts';
import { forwardMetrics, upstreamMetrics } from './metrics.ts';
import { StreamTransport } from './stream.ts';
import { UdpTransport } from './udp.ts';

export interface ProxyOptions {
  expireMs: number;
  maxIdleConns: number;            // idle TCP/TLS connections kept per upstream (0: no limit)
  tls?: tls.ConnectionOptions;     // for tls:// upstreams
  hcIntervalMs: number;
  hcTimeoutMs: number;
  hcRecursionDesired: boolean;
  hcDomain: string;                // absolute
  hcTcp: boolean;                  // force_tcp: health checks over TCP too
}

export class Proxy {
  readonly addr: UpstreamAddr;
  fails = 0;
  private readonly udp: UdpTransport;
  private readonly stream: StreamTransport;
  private readonly opts: ProxyOptions;
  private probing = false;
  private hcTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** This upstream's per-query metrics (series held, see metrics.ts). */
  readonly metrics: ReturnType<typeof upstreamMetrics>;

  constructor(addr: UpstreamAddr, opts: ProxyOptions) {
    this.addr = addr;
    this.opts = opts;
    this.udp = new UdpTransport(addr, opts.expireMs);
    this.stream = new StreamTransport(addr, addr.tls ? opts.tls ?? {} : undefined, opts.expireMs, opts.maxIdleConns);
    this.metrics = upstreamMetrics(addr.label);
    const c = this.metrics.conn;
    const [udpHit, udpMiss] = [c(true, 'udp'), c(false, 'udp')];
    const sproto = addr.tls ? 'tcp-tls' : 'tcp';
    const [streamHit, streamMiss] = [c(true, sproto), c(false, sproto)];
    this.udp.onConn = (reused) => { (reused ? udpHit : udpMiss).value++; };
    this.stream.onConn = (reused) => { (reused ? streamHit : streamMiss).value++; };
  }

  get label(): string { return this.addr.label; }

  down(maxFails: number): boolean { return maxFails !== 0 && this.fails > maxFails; }

  /** Send a query (its id is replaced on the wire) and resolve with the matching answer. TLS upstreams always use TLS. */
  exchange(query: Uint8Array, proto: 'udp' | 'tcp', timeoutMs: number): Promise<Buffer> {
    if (this.addr.tls || proto === 'tcp') return this.stream.exchange(query, timeoutMs);
    return this.udp.exchange(query, timeoutMs);
  }

  /** Start probing this upstream until it answers (no-op when a probe loop already runs). */
  healthcheck(): void {
    if (this.probing || this.stopped) return;
    this.probing = true;
    this.probe().catch(() => { this.probing = false; }); // probe() does not throw; never let a rejection end the thread
  }

  private async probe(): Promise<void> {
    if (this.stopped) { this.probing = false; return; }
    const ok = await this.check();
    if (this.stopped) { this.probing = false; return; }
    if (ok) {
      this.fails = 0;
      this.probing = false;
      return;
    }
    this.fails++;
    const m = forwardMetrics();
    m.hcFailures.inc({ to: this.label });
    m.proxyHcFailures.inc({ proxy_name: 'forward', to: this.label });
    this.hcTimer = setTimeout(() => {
      this.hcTimer = undefined;
      this.probe().catch(() => { this.probing = false; });
    }, this.opts.hcIntervalMs);
    this.hcTimer.unref();
  }

  /**
   * One health check: any answer that decodes counts as healthy, whatever its rcode; timeouts, I/O
   * errors and answers that do not decode do not (as miekg/dns's Exchange in CoreDNS).
   */
  async check(): Promise<boolean> {
    const q = healthQuery(this.opts.hcDomain, this.opts.hcRecursionDesired);
    // A fresh transport per check, as miekg/dns's Client.Exchange does, so a check never rides on a
    // connection the data path is using.
    const useStream = this.addr.tls || this.opts.hcTcp;
    const t = useStream
      ? new StreamTransport(this.addr, this.addr.tls ? this.opts.tls ?? {} : undefined, this.opts.expireMs)
      : new UdpTransport(this.addr, this.opts.expireMs);
    try {
      decode(await t.exchange(q, this.opts.hcTimeoutMs));
      return true;
    } catch {
      return false;
    } finally {
      t.close();
    }
  }

  /** Close idle connections (called periodically). */
  sweep(): void { this.udp.sweep(); this.stream.sweep(); }

  close(): void {
    this.stopped = true;
    if (this.hcTimer) clearTimeout(this.hcTimer);
    this.udp.close();
    this.stream.close();
  }
}

/** `NAME IN NS` with RD as configured, id 0 (the transport sets a random one). */
export function healthQuery(domain: string, rd: boolean): Buffer {
  const labels = domain === '.' ? [] : domain.replace(/\.$/, '').split('.');
  const nameLen = labels.reduce((n, l) => n + l.length + 1, 1);
  const b = Buffer.alloc(12 + nameLen + 4);
  b[2] = rd ? 1 : 0;
  b.writeUInt16BE(1, 4);
  let off = 12;
  for (const l of labels) { b[off++] = l.length; off += b.write(l, off, 'latin1'); }
  b[off++] = 0;
  b.writeUInt16BE(2, off); b.writeUInt16BE(1, off + 2);
  return b;
}
