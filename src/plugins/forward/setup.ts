/**
 * Parsing `forward FROM TO... { ... }` into a ForwardConfig, with CoreDNS's options, defaults and
 * checks (plugin/forward/setup.go). Every user error is a CorefileError at the offending line.
 */
import fs from 'node:fs';
import type tls from 'node:tls';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import { parseCidr, reverseZones } from '../../corefile/cidr.ts';
import { fqdn, lowerName } from '../../dns/name.ts';
import { Rcode, rcodeFromName } from '../../dns/types.ts';
import { parseDuration } from '../../plugin/duration.ts';
import { parseAddress, resolveFilePath, type UpstreamAddr } from './hosts.ts';
import { ResolvConfFiles } from './resolvconf.ts';
import { POLICIES, type PolicyName } from './policy.ts';
import { readUserBytesSync, UserFileError } from '../../corefile/files.ts';

export const MAX_UPSTREAMS = 15;

export interface ForwardConfig {
  at: { file: string; line: number }; // where the directive is (for FILE:LINE in run-time errors)
  from: string;                    // lower-case absolute zone
  upstreams: UpstreamAddr[];       // resolved now (files read)
  files: string[];                 // resolv.conf-style files among TO (re-read when they change)
  resolvConf: ResolvConfFiles;     // those files, read now and kept current by the running plugin
  fixed: UpstreamAddr[];           // the TO that were addresses
  except: string[];
  forceTcp: boolean;
  preferUdp: boolean;
  expireMs: number;
  maxFails: number;
  maxConnectAttempts: number;
  maxIdleConns: number;
  tls: tls.ConnectionOptions | undefined;
  tlsServerName: string | undefined;
  policy: PolicyName;
  hcIntervalMs: number;
  hcRecursionDesired: boolean;
  hcDomain: string;
  maxConcurrent: number;
  next: number[];
  nextOnNodata: boolean;
  failover: number[];
  failfast: boolean;
}

const FIX = '— name an upstream IP, e.g. forward . 8.8.8.8';

export interface ParseOptions {
  /**
   * Whether a resolv.conf among TO that names no usable nameserver (missing, empty, only garbage)
   * is a FILE:LINE error. True (the default) for -validate, so CI catches it; the running server
   * passes false: the plugin then starts without those upstreams and waits for the file.
   */
  strictFiles?: boolean;
  /** Nameservers last read from each file in this process (kept across reloads; see resolvconf.ts). */
  lastGood?: Map<string, UpstreamAddr[]>;
}

export function parseForward(d: Directive, corefile: string, opts: ParseOptions = {}): ForwardConfig {
  const err = (at: { file: string; line: number }, msg: string) => CorefileError.at(at, `forward: ${msg}`);
  if (d.args.length < 2) {
    throw err(d, d.args.length === 0
      ? `missing FROM and TO — write e.g. forward . 8.8.8.8`
      : `missing TO after '${d.args[0]}' ${FIX}`);
  }
  const cfg: Omit<ForwardConfig, 'resolvConf'> = {
    at: { file: d.file, line: d.line },
    from: normalizeZone(d.args[0]!), upstreams: [], files: [], fixed: [], except: [],
    forceTcp: false, preferUdp: false, expireMs: 10_000, maxFails: 2, maxConnectAttempts: 0, maxIdleConns: 0,
    tls: undefined, tlsServerName: undefined, policy: 'random', hcIntervalMs: 500, hcRecursionDesired: true,
    hcDomain: '.', maxConcurrent: 0, next: [], nextOnNodata: false, failover: [], failfast: false,
  };
  for (const to of d.args.slice(1)) {
    if (to === '') throw err(d, `an upstream is empty (is an environment variable like {$NAME} in the Corefile unset?) ${FIX}`);
    let addr: UpstreamAddr | undefined;
    try {
      addr = parseAddress(to);
    } catch (e) {
      throw err(d, `${(e as Error).message}`);
    }
    if (addr) { cfg.fixed.push(addr); continue; }
    const file = resolveFilePath(to, corefile);
    if (!fs.existsSync(file) && !to.includes('/')) {
      throw err(d, `${to}: not an IP address or file ${FIX}, or a file like /etc/resolv.conf`);
    }
    cfg.files.push(file);
  }
  let sniPerHost = false;
  for (const o of d.block ?? []) parseOption(cfg, o, err);
  for (const a of cfg.fixed) if (a.serverName) sniPerHost = true;
  if (sniPerHost && cfg.tlsServerName) {
    throw err(d, `tls_servername and per-upstream server names (tls://IP%NAME) cannot be used together — keep one of them`);
  }
  const resolvConf = new ResolvConfFiles(cfg.files, opts.lastGood);
  const problem = resolvConf.problems()[0];
  if (problem && (opts.strictFiles ?? true)) throw err(d, `${problem.error} ${FIX}`);
  cfg.upstreams = [...cfg.fixed, ...resolvConf.nameservers()];
  if (cfg.upstreams.length > MAX_UPSTREAMS) {
    throw err(d, `${cfg.upstreams.length} upstreams, more than the maximum of ${MAX_UPSTREAMS} — remove some`);
  }
  return { ...cfg, resolvConf };
}

type Err = (at: { file: string; line: number }, msg: string) => CorefileError;

function parseOption(cfg: Omit<ForwardConfig, 'resolvConf'>, o: Directive, err: Err): void {
  const a = o.args;
  const want = (min: number, max: number, usage: string) => {
    if (a.length < min || a.length > max) throw err(o, `${o.name}: wrong number of arguments — use: ${o.name} ${usage}`);
  };
  const int = (s: string, what: string): number => {
    if (!/^-?\d+$/.test(s)) throw err(o, `${o.name}: '${s}' is not an integer — give ${what}`);
    const n = Number(s);
    if (n < 0) throw err(o, `${o.name} can't be negative: ${s}`);
    return n;
  };
  const dur = (s: string): number => {
    const v = parseDuration(s);
    if (v === undefined) throw err(o, `${o.name}: '${s}' is not a duration — use e.g. 10s or 500ms`);
    if (v < 0) throw err(o, `${o.name} can't be negative: ${s}`);
    return v;
  };
  const rcodes = (): number[] => a.map((s) => {
    const r = rcodeFromName(s);
    if (r === undefined) throw err(o, `${o.name}: '${s}' is not a valid rcode — use e.g. NXDOMAIN, SERVFAIL, REFUSED`);
    return r;
  });
  switch (o.name) {
    case 'except':
      if (a.length === 0) throw err(o, `except: name at least one domain — except example.org`);
      cfg.except.push(...a.map(normalizeZone));
      break;
    case 'force_tcp': want(0, 0, ''); cfg.forceTcp = true; break;
    case 'prefer_udp': want(0, 0, ''); cfg.preferUdp = true; break;
    case 'expire': want(1, 1, 'DURATION'); cfg.expireMs = dur(a[0]!); break;
    case 'max_fails': want(1, 1, 'INTEGER'); cfg.maxFails = int(a[0]!, 'a count, e.g. 2'); break;
    case 'max_connect_attempts': want(1, 1, 'INTEGER'); cfg.maxConnectAttempts = int(a[0]!, 'a count'); break;
    case 'max_idle_conns': want(1, 1, 'INTEGER'); cfg.maxIdleConns = int(a[0]!, 'a count'); break;
    case 'health_check': {
      if (a.length < 1) throw err(o, `health_check: missing DURATION — use: health_check 0.5s [no_rec] [domain NAME]`);
      cfg.hcIntervalMs = dur(a[0]!);
      for (let i = 1; i < a.length; i++) {
        if (a[i] === 'no_rec') cfg.hcRecursionDesired = false;
        else if (a[i] === 'domain') {
          const name = a[++i];
          if (!name) throw err(o, `health_check: 'domain' needs a name — health_check 5s domain example.org`);
          cfg.hcDomain = lowerName(fqdn(name));
        } else throw err(o, `health_check: unknown argument '${a[i]}' — use no_rec or domain NAME`);
      }
      break;
    }
    case 'policy':
      want(1, 1, POLICIES.join('|'));
      if (!POLICIES.includes(a[0]!)) throw err(o, `unknown policy '${a[0]}' — use ${POLICIES.join(', ')}`);
      cfg.policy = a[0] as PolicyName;
      break;
    case 'max_concurrent': want(1, 1, 'MAX'); cfg.maxConcurrent = int(a[0]!, 'a number of queries'); break;
    case 'next':
      if (a.length === 0) throw err(o, `next: name at least one rcode — next NXDOMAIN`);
      cfg.next.push(...rcodes());
      break;
    case 'next_on_nodata': want(0, 0, ''); cfg.nextOnNodata = true; break;
    case 'failover': {
      if (a.length === 0) throw err(o, `failover: name at least one rcode — failover SERVFAIL REFUSED`);
      const rs = rcodes();
      if (rs.includes(Rcode.NOERROR)) throw err(o, `failover: NOERROR cannot be a failover rcode — remove it`);
      cfg.failover.push(...rs);
      break;
    }
    case 'failfast_all_unhealthy_upstreams': want(0, 0, ''); cfg.failfast = true; break;
    case 'tls': {
      want(0, 3, '[CERT KEY] [CA]');
      const read = (f: string) => {
        try { return readUserBytesSync(f, 'tls'); } catch (e) { throw err(o, `tls: ${e instanceof UserFileError ? e.message : `${f}: ${(e as Error).message}`}`); }
      };
      const t: tls.ConnectionOptions = {};
      if (a.length === 1) t.ca = read(a[0]!);
      if (a.length >= 2) { t.cert = read(a[0]!); t.key = read(a[1]!); }
      if (a.length === 3) t.ca = read(a[2]!);
      cfg.tls = t;
      break;
    }
    case 'tls_servername': want(1, 1, 'NAME'); cfg.tlsServerName = a[0]!; break;
    case 'doh_method':
      throw err(o, `doh_method: DNS-over-HTTPS upstreams are not supported yet — remove this line`);
    case 'resolver':
      throw err(o, `resolver: hostname upstreams are not supported yet — name upstream IPs and remove this line`);
    default:
      throw err(o, `unknown property '${o.name}' — see the forward README for the options`);
  }
}

function normalizeZone(s: string): string {
  const cidr = s.includes('/') ? parseCidr(s) : null;
  if (cidr) return reverseZones(cidr)[0]!;
  return lowerName(fqdn(s));
}
