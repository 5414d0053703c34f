/**
 * Server block keys → zones and ports, as CoreDNS's core/dnsserver (register.go, address.go) and
 * plugin.SplitHostPort read them: `[dns://]ZONE[:PORT]`, where `:PORT` is taken only when the text
 * after the last colon is a number, an empty zone (`:53`) is the root, and a CIDR zone
 * (`10.0.0.0/8`, `10.0.0.0/20:53`, `fd00::/8`) becomes its reverse zone(s).
 */
import { parseCidr, reverseZones } from './cidr.ts';
import { CorefileError } from './types.ts';
import type { ServerBlockConfig } from './types.ts';

export interface ServerKey {
  zone: string;        // lower-case absolute: "cluster.local.", ".", "10.in-addr.arpa."
  port: number;
  transport: 'dns';
  original: string;    // the key as written (shared by all zones a CIDR key expands to)
}

const TRANSPORT_NAMES: Record<string, string> = {
  tls: 'DNS over TLS',
  grpc: 'DNS over gRPC',
  https: 'DNS over HTTPS',
  https3: 'DNS over HTTP/3',
  quic: 'DNS over QUIC',
};

type At = { file: string; line: number };

function fail(at: At, key: string, msg: string): never {
  throw CorefileError.at(at, `server block key "${key}": ${msg}`);
}

/** Validate and normalize a domain name zone (not a CIDR) to lower-case absolute form. */
function normalizeZone(at: At, key: string, host: string): string {
  if (host === '' || host === '.') return '.';
  if (/[\s:/"\\]/.test(host) || /[\x00-\x1f\x7f]/.test(host)) {
    fail(at, key, `"${host}" is not a valid zone name — write a domain such as example.org or a CIDR such as 10.0.0.0/8`);
  }
  const zone = (host.endsWith('.') ? host : host + '.').toLowerCase();
  const labels = zone.slice(0, -1).split('.');
  if (labels.some((l) => l === '')) fail(at, key, `zone "${host}" has an empty label — remove the extra '.'`);
  const long = labels.find((l) => Buffer.byteLength(l) > 63);
  if (long !== undefined) fail(at, key, `label "${long}" is longer than 63 bytes — shorten the zone name`);
  // Wire length: one length byte per label plus the label bytes, plus the root byte.
  const wire = labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 1);
  if (wire > 255) fail(at, key, `zone is ${wire} bytes long, more than 255 — shorten the zone name`);
  return zone;
}

/** Parse one key; several ServerKeys when a CIDR is not on an octet (nibble) boundary. */
export function parseServerKey(key: string, defaultPort: number, at: At): ServerKey[] {
  let rest = key;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(key);
  if (scheme) {
    const name = scheme[1].toLowerCase();
    if (name !== 'dns') {
      const known = TRANSPORT_NAMES[name];
      if (known) fail(at, key, `transport ${name}:// (${known}) is not supported yet — serve plain DNS (dns:// or no prefix)`);
      fail(at, key, `unknown transport ${name}:// — use dns:// or no prefix`);
    }
    rest = key.slice(scheme[0].length);
  }

  let host = rest;
  let port = defaultPort;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    const after = rest.slice(colon + 1);
    const before = rest.slice(0, colon);
    if (after === '') fail(at, key, "nothing after ':' — write a port such as :53, or remove the ':'");
    if (/^\d+$/.test(after)) {
      port = Number(after);
      if (port < 1 || port > 65535) fail(at, key, `port ${after} is out of range — use a port from 1 to 65535`);
      host = before;
    } else if (!after.includes('/') && !before.includes(':')) {
      // Not an IPv6 CIDR ("fd00::/8" has its last colon before the mask): a mistyped port.
      fail(at, key, `port "${after}" is not a number — write the port as digits, e.g. :53`);
    }
  }

  if (host.includes('/')) {
    // CoreDNS refuses IPv6 CIDRs written with a leading "::" or "0…:" (they read ambiguously with ports).
    const cidr = host[0] === ':' || (host[0] === '0' && host.includes(':')) ? null : parseCidr(host);
    if (!cidr) fail(at, key, `"${host}" is not a valid CIDR — write it like 10.0.0.0/8 or fd00::/8`);
    return reverseZones(cidr).map((zone) => ({ zone, port, transport: 'dns' as const, original: key }));
  }
  return [{ zone: normalizeZone(at, key, host), port, transport: 'dns', original: key }];
}

/** The zones and ports of a server block's keys, in key order. Throws CorefileError at the block. */
export function parseServerKeys(block: ServerBlockConfig, defaultPort: number): ServerKey[] {
  const out: ServerKey[] = [];
  for (const key of block.keys) out.push(...parseServerKey(key, defaultPort, block));
  return out;
}

/**
 * Throw when two server blocks (or two keys of one block) serve the same zone on the same port, as
 * CoreDNS refuses to start then. Like CoreDNS, blocks that `bind` different addresses may share a
 * zone and port (a block without `bind` listens everywhere and so overlaps every bound one), and a
 * block with a `view` (a filtered block) may repeat the zone of an unfiltered block written after it
 * (blocks are checked in order and filtered ones are not registered, as in CoreDNS).
 */
export function checkDuplicateZones(blocks: ServerBlockConfig[], defaultPort: number): void {
  const seen = new Set<string>();
  for (const block of blocks) {
    const hosts = block.directives.filter((d) => d.name === 'bind').flatMap((d) => d.args);
    const listen = hosts.length > 0 ? hosts : [''];
    const filtered = block.directives.some((d) => d.name === 'view');
    for (const k of parseServerKeys(block, defaultPort)) {
      for (const h of listen) {
        const id = `${k.zone} ${k.port}`;
        const overlaps = seen.has(`${id} ${h}`) || (h === '' ? seen.has(`${id} *bound`) : seen.has(`${id} `));
        if (overlaps) {
          throw CorefileError.at(block, `zone "${k.zone}" is defined twice on port ${k.port} — merge the blocks or use another port`);
        }
        if (filtered) continue;
        seen.add(`${id} ${h}`);
        if (h !== '') seen.add(`${id} *bound`);
      }
    }
  }
}
