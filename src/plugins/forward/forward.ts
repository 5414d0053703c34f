/**
 * The forward plugin's query path (CoreDNS's plugin/forward/forward.go): match FROM and except,
 * enforce max_concurrent, walk the upstreams in policy order skipping the ones that are down,
 * retry on errors until the overall deadline, retry a truncated UDP answer over TCP, and answer
 * SERVFAIL when nothing worked. The upstream's answer is relayed as received (id restored).
 */
import { performance } from 'node:perf_hooks';
import { decode, encode, patchId } from '../../dns/codec.ts';
import { replyTo } from '../../dns/message.ts';
import { inZone, inZones } from '../../dns/name.ts';
import type { Message } from '../../dns/types.ts';
import { Rcode, rcodeName } from '../../dns/types.ts';
import type { Logger, Next, Plugin, Request } from '../../plugin/contract.ts';
import { reportError } from '../../plugin/errors.ts';
import type { UpstreamAddr } from './hosts.ts';
import { forwardMetrics } from './metrics.ts';
import { makePolicy, type Policy } from './policy.ts';
import { Proxy, type ProxyOptions } from './proxy.ts';
import { MAX_UPSTREAMS, type ForwardConfig } from './setup.ts';
import type { NoUpstreamReport } from './noupstream.ts';
import { isTruncated, UpstreamError } from './wire.ts';

export interface Timeouts {
  overallMs: number;   // CoreDNS's defaultTimeout (5s): after this a query gets SERVFAIL
  readMs: number;      // per exchange (2s)
  hcTimeoutMs: number; // per health check (1s)
}

/** What one exchange brought back: the bytes, decoded unless it is a truncated UDP answer. */
interface Answer { wire: Buffer; msg: Message | undefined }

export const DEFAULT_TIMEOUTS: Timeouts = { overallMs: 5000, readMs: 2000, hcTimeoutMs: 1000 };

/** How often the resolv.conf-style files among TO are checked for changes. */
export const RESOLV_CONF_POLL_MS = 1000;

export interface ForwardOptions {
  /** How often to check the resolv.conf files (default RESOLV_CONF_POLL_MS). */
  pollMs?: number;
  /** Logs, counts and shows on /health a file that names no nameserver (one thread per process has it). */
  report?: NoUpstreamReport;
  /** Log changes of the files' nameservers (default true; worker threads leave it to the control thread). */
  logFileChanges?: boolean;
}

/**
 * The in-flight limit when the Corefile sets no max_concurrent (CoreDNS has none): a flood of
 * names to a slow or dead upstream holds at most this many pending queries (each a few KiB until
 * its 5 s deadline), then gets REFUSED, instead of growing memory until the OOM killer acts.
 */
export const DEFAULT_MAX_CONCURRENT = 5000;

export class Forward implements Plugin {
  readonly name = 'forward';
  readonly cfg: ForwardConfig;
  proxies: Proxy[] = [];
  private readonly policy: Policy;
  private readonly timeouts: Timeouts;
  private readonly log: Logger;
  private readonly proxyOpts: ProxyOptions;
  private concurrent = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  private readonly report: NoUpstreamReport | undefined;
  private readonly logFileChanges: boolean;
  private closed = false;

  constructor(cfg: ForwardConfig, log: Logger, timeouts: Timeouts = DEFAULT_TIMEOUTS, opts: ForwardOptions = {}) {
    this.cfg = cfg;
    this.log = log;
    this.timeouts = timeouts;
    this.pollMs = opts.pollMs ?? RESOLV_CONF_POLL_MS;
    this.report = opts.report;
    this.logFileChanges = opts.logFileChanges ?? true;
    this.policy = makePolicy(cfg.policy);
    this.proxyOpts = {
      expireMs: cfg.expireMs, maxIdleConns: cfg.maxIdleConns,
      tls: cfg.tls || cfg.tlsServerName ? { ...cfg.tls, ...(cfg.tlsServerName ? { servername: cfg.tlsServerName } : {}) } : undefined,
      hcIntervalMs: cfg.hcIntervalMs, hcTimeoutMs: timeouts.hcTimeoutMs,
      hcRecursionDesired: cfg.hcRecursionDesired, hcDomain: cfg.hcDomain, hcTcp: cfg.forceTcp,
    };
    this.setUpstreams(cfg.upstreams);
    this.report?.update(this.proxies.length, cfg.resolvConf.unresolved());
    this.sweeper = setInterval(() => { for (const p of this.proxies) p.sweep(); }, Math.max(1000, Math.min(cfg.expireMs, 10_000)));
    this.sweeper.unref();
  }

  private makeProxy(a: UpstreamAddr): Proxy {
    const opts = a.serverName ? { ...this.proxyOpts, tls: { ...this.proxyOpts.tls, servername: a.serverName } } : this.proxyOpts;
    return new Proxy(a, opts);
  }

  /** Replace the upstream list, keeping the proxies (and their health) of upstreams that stay. */
  setUpstreams(addrs: UpstreamAddr[]): void {
    const old = new Map(this.proxies.map((p) => [p.label, p]));
    const next: Proxy[] = [];
    for (const a of addrs) {
      const keep = old.get(a.label);
      if (keep) { old.delete(a.label); next.push(keep); } else next.push(this.makeProxy(a));
    }
    this.proxies = next;
    // In-flight queries on removed upstreams finish or time out on their own; close after that.
    for (const p of old.values()) setTimeout(() => p.close(), this.timeouts.overallMs).unref();
  }

  /**
   * Poll the resolv.conf-style files among TO (resolvconf.ts): a changed file changes the upstreams,
   * and one that names no nameserver yet starts forwarding as soon as it does.
   */
  start(): void {
    this.report?.start();
    if (this.cfg.files.length === 0 || this.closed) return;
    this.poller = setInterval(() => this.pollFiles(), this.pollMs);
    this.poller.unref();
  }

  /** Check the files now (the poller calls this). */
  pollFiles(): void {
    if (this.closed) return;
    const change = this.cfg.resolvConf.poll();
    if (this.logFileChanges) for (const k of change.kept) {
      this.log.warning(`keeping upstreams ${k.servers.map((a) => a.label).join(' ')}: ${k.error}`);
    }
    if (change.servers) {
      const before = this.proxies.map((p) => p.label).join(' ');
      this.setUpstreams([...this.cfg.fixed, ...this.cfg.resolvConf.nameservers()].slice(0, MAX_UPSTREAMS));
      const after = this.proxies.map((p) => p.label).join(' ');
      if (before !== after && this.logFileChanges) this.log.info(`upstreams of ${this.cfg.from} changed: ${after === '' ? '(none)' : after}`);
    }
    // Every poll: the reason an unresolved file gives can change too (missing → empty).
    this.report?.update(this.proxies.length, this.cfg.resolvConf.unresolved());
  }

  /** Nameservers the control thread has in use for files unresolved here (ResolvConfFiles.adopt). */
  adoptNameservers(entries: readonly [string, UpstreamAddr[]][]): void {
    if (this.closed || !this.cfg.resolvConf.adopt(entries)) return;
    this.setUpstreams([...this.cfg.fixed, ...this.cfg.resolvConf.nameservers()].slice(0, MAX_UPSTREAMS));
  }

  private match(qname: string): boolean {
    if (!inZone(qname, this.cfg.from)) return false;
    return qname === this.cfg.from || !inZones(qname, this.cfg.except);
  }

  serve(req: Request, next: Next): Message | Promise<Message> {
    if (!this.match(req.qname)) return next(req);
    if (this.proxies.length === 0) return this.noUpstream(req);
    const max = this.cfg.maxConcurrent || DEFAULT_MAX_CONCURRENT;
    if (this.concurrent >= max) {
      forwardMetrics().maxConcurrentRejects.inc();
      reportError(req, new Error(`concurrent queries exceeded maximum ${max}`));
      return replyTo(req.msg, Rcode.REFUSED);
    }
    this.concurrent++;
    return this.forward(req, next).finally(() => { this.concurrent--; });
  }

  private async forward(req: Request, next: Next): Promise<Message> {
    const query = encode(req.msg);
    const cfg = this.cfg;
    const proxies = this.proxies;
    const list = this.policy.list(proxies);
    const deadline = performance.now() + this.timeouts.overallMs;
    let i = 0, fails = 0, attempts = 0, tried = 0, fastFails = 0;
    let lastErr: unknown;
    let last: Message | undefined;
    while (performance.now() < deadline && (cfg.maxConnectAttempts === 0 || attempts < cfg.maxConnectAttempts)) {
      if (i >= list.length) { i = 0; fails = 0; }
      let proxy = list[i++]!;
      if (proxy.down(cfg.maxFails)) {
        fails++;
        if (fails < proxies.length) continue;
        forwardMetrics().hcBroken.inc();
        if (cfg.failfast) break;
        proxy = proxies[Math.floor(Math.random() * proxies.length)]!;
      }
      let proto: 'udp' | 'tcp' = cfg.forceTcp ? 'tcp' : cfg.preferUdp ? 'udp' : req.protocol;
      let ret: Answer | undefined;
      let err: unknown;
      for (let retry = 0; retry < 3; retry++) {
        const left = deadline - performance.now();
        if (left <= 0) { err = new UpstreamError('timeout', 'i/o timeout'); break; }
        const asked = req.trace ? performance.now() : 0;
        try {
          ret = await this.connect(proxy, query, proto, Math.min(this.timeouts.readMs, left));
          err = undefined;
        } catch (e) {
          ret = undefined;
          err = e;
        }
        if (req.trace) traceExchange(req, proxy, proto, asked, ret, err);
        if (err instanceof UpstreamError && err.kind === 'closed') continue; // reused connection closed by the peer
        // A truncated answer over UDP: ask again over TCP for the whole answer.
        if (ret && !ret.msg) { proto = 'tcp'; continue; }
        break;
      }
      // A failed exchange — timeout, network error, or an answer that does not decode — moves on to
      // the next upstream and starts health checks, as in CoreDNS.
      if (err !== undefined || !ret?.msg) {
        lastErr = err ?? lastErr;
        if (cfg.maxFails !== 0) proxy.healthcheck();
        // Errors that come back at once (connection refused, no route, a garbled answer): two rounds
        // over every upstream are enough; spinning on them until the deadline would only multiply
        // traffic (CoreDNS does spin here).
        if (!(err instanceof UpstreamError && err.kind === 'timeout') && ++fastFails >= 2 * proxies.length) break;
        if (cfg.maxConnectAttempts > 0 && ++attempts >= cfg.maxConnectAttempts) break;
        if (fails < proxies.length) continue;
        break;
      }
      const res = ret.msg;
      const wire = ret.wire;
      tried++;
      if (cfg.failover.includes(res.rcode) && tried < proxies.length) {
        last = res;
        fails++;
        continue;
      }
      if ((cfg.next.includes(res.rcode) || (cfg.nextOnNodata && res.rcode === Rcode.NOERROR && res.answers.length === 0))
        && next.plugin?.name === 'forward') {   // as before: `next` hands over only to a following forward
        return next(req);
      }
      return relay(res, wire, req);
    }
    if (last) return relay(last, undefined, req);
    // As CoreDNS's forward returns (SERVFAIL, err): the errors plugin logs it.
    reportError(req, lastErr instanceof Error ? lastErr : new Error(lastErr === undefined ? 'no healthy proxies' : String(lastErr)));
    return replyTo(req.msg, Rcode.SERVFAIL);
  }

  /**
   * No upstream at all (every TO is a resolv.conf that names no nameserver yet): SERVFAIL, with the
   * reason for the errors plugin, as for any other forward failure.
   */
  private noUpstream(req: Request): Message {
    const why = this.cfg.resolvConf.unresolved().map((u) => u.error).join('; ');
    reportError(req, new Error(`no upstreams: ${why === '' ? 'none configured' : why}`));
    return replyTo(req.msg, Rcode.SERVFAIL);
  }

  /**
   * One exchange with one upstream. The answer is decoded here: one that does not decode is a failed
   * exchange (kind 'malformed'), not an answer, and is not counted in the response metrics. A
   * truncated UDP answer comes back undecoded (`msg` undefined): it is asked again over TCP.
   */
  private async connect(proxy: Proxy, query: Buffer, proto: 'udp' | 'tcp', timeoutMs: number): Promise<Answer> {
    const start = performance.now();
    proxy.metrics.request();
    const wire = await proxy.exchange(query, proto, timeoutMs);
    let msg: Message | undefined;
    if (!(proto === 'udp' && !proxy.addr.tls && isTruncated(wire))) {
      try {
        msg = decode(wire);
      } catch (e) {
        throw new UpstreamError('malformed', `dns: ${(e as Error).message}`);
      }
    }
    proxy.metrics.answered(rcodeName(wire[3]! & 0x0f), (performance.now() - start) / 1000);
    return { wire, msg };
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.poller) clearInterval(this.poller);
    this.report?.close();
    for (const p of this.proxies) p.close();
  }
}

/** The upstream's answer for this client: its id restored; the received bytes ride along as `wire`. */
function relay(res: Message, wire: Buffer | undefined, req: Request): Message {
  res.id = req.msg.id;
  if (wire) {
    patchId(wire, req.msg.id);
    res.wire = wire;
  }
  return res;
}

/** The provenance note of one exchange with an upstream (explained queries only). */
function traceExchange(req: Request, proxy: Proxy, proto: 'udp' | 'tcp', asked: number, ret: Answer | undefined, err: unknown): void {
  const result = err !== undefined ? `failed: ${err instanceof Error ? err.message : String(err)}`
    : !ret?.msg ? 'truncated (asks again over TCP)' : rcodeName(ret.msg.rcode);
  req.trace!.note('forward', {
    upstream: proxy.label, protocol: proxy.addr.tls ? 'tcp-tls' : proto,
    latencyMs: Math.round((performance.now() - asked) * 1000) / 1000, result,
  });
}
