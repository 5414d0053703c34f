/**
 * Parsing `cache [TTL] [ZONES...] { ... }` with CoreDNS's options, defaults and checks
 * (plugin/cache/setup.go).
 */
import { CorefileError, type Directive } from '../../corefile/types.ts';
import { fqdn, lowerName } from '../../dns/name.ts';
import { parseDuration } from '../../plugin/duration.ts';

export const DEFAULT_CAP = 9984;
/** Default bytes per cache, per entry of capacity: 9984 entries of up to 512 bytes on average (4.9 MiB). */
export const BYTES_PER_ENTRY = 512;
const MIN_BYTES = 16 * 1024;
const SHARDS = 256;
const MIN_CAP = 1024;

export interface CacheConfig {
  zones: string[];          // lower-case absolute
  pcap: number; pttl: number; minpttl: number;     // seconds
  ncap: number; nttl: number; minnttl: number;
  failttl: number;          // SERVFAIL caching, seconds (0: off)
  prefetch: number;         // AMOUNT (0: off)
  prefetchWindowMs: number; // DURATION
  percentage: number;       // PERCENTAGE
  staleUpToMs: number;      // serve_stale DURATION (0: off)
  verifyStale: boolean;
  pexcept: string[];        // zones where success responses are not cached (disable success)
  nexcept: string[];
  keepttl: boolean;
  pbytes: number;           // byte bound of the success cache (max_bytes; default pcap × 512)
  nbytes: number;           // and of the denial cache
}

export function parseCache(d: Directive, blockZones: readonly string[]): CacheConfig {
  const err = (at: { file: string; line: number }, msg: string) => CorefileError.at(at, `cache: ${msg}`);
  const c: CacheConfig = {
    zones: [...blockZones], pcap: DEFAULT_CAP, pttl: 3600, minpttl: 5, ncap: DEFAULT_CAP, nttl: 1800, minnttl: 5,
    failttl: 5, prefetch: 0, prefetchWindowMs: 60_000, percentage: 10, staleUpToMs: 0, verifyStale: false,
    pexcept: [], nexcept: [], keepttl: false, pbytes: 0, nbytes: 0,
  };
  let maxBytes: [number, number] | undefined;
  let args = d.args;
  if (args.length > 0 && /^-?\d+$/.test(args[0]!)) {
    const ttl = Number(args[0]);
    if (ttl <= 0) throw err(d, `cache TTL can not be zero or negative: ${ttl} — give seconds, e.g. cache 30`);
    c.pttl = ttl;
    c.nttl = ttl;
    args = args.slice(1);
  }
  if (args.length > 0) c.zones = args.map(zone);
  if (c.zones.length === 0) c.zones = ['.'];

  for (const o of d.block ?? []) {
    const a = o.args;
    const int = (s: string | undefined, what: string): number => {
      if (s === undefined || !/^-?\d+$/.test(s)) throw err(o, `${o.name}: '${s ?? ''}' is not an integer — give ${what}`);
      return Number(s);
    };
    const dur = (s: string): number => {
      const v = parseDuration(s);
      if (v === undefined) throw err(o, `${o.name}: '${s}' is not a duration — use e.g. 1h or 30s`);
      if (v < 0) throw err(o, `${o.name}: duration can not be negative: ${s}`);
      return v;
    };
    switch (o.name) {
      case 'success':
      case 'denial': {
        if (a.length < 1 || a.length > 3) throw err(o, `${o.name}: wrong number of arguments — use: ${o.name} CAPACITY [TTL] [MINTTL]`);
        // As CoreDNS, any integer: 0 (or less) does not turn the cache off, it gives the smallest
        // one (CoreDNS's 256 shards of at least 4 entries: 1024). `disable` is what turns it off.
        const cap = int(a[0], 'a number of entries, e.g. 9984');
        const ttl = a.length > 1 ? int(a[1], 'seconds') : undefined;
        if (ttl !== undefined && ttl <= 0) throw err(o, `${o.name}: cache TTL can not be zero or negative: ${ttl}`);
        const min = a.length > 2 ? int(a[2], 'seconds') : undefined;
        if (min !== undefined && min < 0) throw err(o, `${o.name}: cache min TTL can not be negative: ${min}`);
        if (o.name === 'success') {
          c.pcap = capacity(cap);
          if (ttl !== undefined) c.pttl = ttl;
          if (min !== undefined) c.minpttl = min;
        } else {
          c.ncap = capacity(cap);
          if (ttl !== undefined) c.nttl = ttl;
          if (min !== undefined) c.minnttl = min;
        }
        break;
      }
      case 'prefetch': {
        if (a.length < 1 || a.length > 3) throw err(o, `prefetch: wrong number of arguments — use: prefetch AMOUNT [DURATION] [PERCENTAGE%]`);
        const amount = int(a[0], 'a number of queries, e.g. 10');
        if (amount <= 0) throw err(o, `prefetch amount should be positive: ${amount}`);
        c.prefetch = amount;
        for (const x of a.slice(1)) {
          if (x.endsWith('%')) {
            const p = int(x.slice(0, -1), 'a percentage, e.g. 10%');
            if (p < 10 || p > 90) throw err(o, `prefetch percentage should fall in range [10, 90]: ${p}% — use e.g. 10%`);
            c.percentage = p;
          } else {
            const w = dur(x);
            if (w <= 0) throw err(o, `prefetch: duration must be positive: ${x}`);
            c.prefetchWindowMs = w;
          }
        }
        break;
      }
      case 'serve_stale': {
        if (a.length > 2) throw err(o, `serve_stale: wrong number of arguments — use: serve_stale [DURATION] [immediate|verified]`);
        c.staleUpToMs = 3_600_000;
        if (a.length > 0) c.staleUpToMs = dur(a[0]!);
        if (a.length > 1) {
          if (a[1] === 'verified') c.verifyStale = true;
          else if (a[1] === 'immediate') c.verifyStale = false;
          else throw err(o, `serve_stale: invalid refresh mode '${a[1]}' — use immediate or verified`);
        }
        break;
      }
      case 'servfail': {
        if (a.length !== 1) throw err(o, `servfail: wrong number of arguments — use: servfail DURATION`);
        const v = dur(a[0]!);
        if (v > 300_000) throw err(o, `servfail: caching SERVFAIL responses over 5 minutes is not permitted: ${a[0]}`);
        c.failttl = Math.floor(v / 1000);
        break;
      }
      case 'disable': {
        if (a.length < 1) throw err(o, `disable: wrong number of arguments — use: disable success|denial [ZONES...]`);
        const zs = a.length > 1 ? a.slice(1).map(zone) : [...c.zones];
        if (a[0] === 'success') c.pexcept.push(...zs);
        else if (a[0] === 'denial') c.nexcept.push(...zs);
        else throw err(o, `disable: cache type for disable must be "success" or "denial", not '${a[0]}'`);
        break;
      }
      case 'max_bytes': {
        if (a.length < 1 || a.length > 2) throw err(o, `max_bytes: wrong number of arguments — use: max_bytes SIZE [DENIAL_SIZE]`);
        const sizes = a.map((x) => {
          const v = parseSize(x);
          if (v === undefined) throw err(o, `max_bytes: '${x}' is not a size — use bytes or e.g. 512K, 8M`);
          if (v < MIN_BYTES) throw err(o, `max_bytes: ${x} is below the minimum of 16K`);
          return v;
        });
        maxBytes = [sizes[0]!, sizes[1] ?? sizes[0]!];
        break;
      }
      case 'keepttl':
        if (a.length !== 0) throw err(o, `keepttl: takes no arguments`);
        c.keepttl = true;
        break;
      default:
        throw err(o, `unknown property '${o.name}' — see the cache README for the options`);
    }
  }
  c.pbytes = maxBytes?.[0] ?? c.pcap * BYTES_PER_ENTRY;
  c.nbytes = maxBytes?.[1] ?? c.ncap * BYTES_PER_ENTRY;
  return c;
}

/** Bytes: a whole number with an optional K, M or G (powers of 1024). */
function parseSize(s: string): number | undefined {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

/** CoreDNS shards its cache in 256: capacity is rounded down to a multiple of 256, at least 1024 (also for 0 or less). */
function capacity(n: number): number {
  return Math.max(MIN_CAP, Math.floor(n / SHARDS) * SHARDS);
}

function zone(s: string): string { return lowerName(fqdn(s)); }
