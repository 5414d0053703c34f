/**
 * The TO arguments of forward: `IP`, `IP:PORT`, `[IPv6]:PORT`, `dns://...`, `tls://IP[%SERVERNAME][:PORT]`,
 * or a resolv.conf-style file whose `nameserver` lines name the upstreams.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readUserFileSync, UserFileError } from '../../corefile/files.ts';

export interface UpstreamAddr {
  host: string;           // IP literal, without brackets
  port: number;
  tls: boolean;
  serverName?: string;    // from tls://IP%NAME
  /** As CoreDNS writes it in the `to` metric label: "127.0.0.1:53", "[::1]:53", "tls://1.1.1.1:853". */
  label: string;
}

export type ParsedTo = { kind: 'addr'; addr: UpstreamAddr } | { kind: 'file'; path: string };

/** Parse one address form; undefined when `s` is not an address (then it may be a file). Throws on a bad address. */
export function parseAddress(s: string): UpstreamAddr | undefined {
  let rest = s;
  let tls = false;
  const scheme = /^([a-z]+):\/\//i.exec(rest);
  if (scheme) {
    const sch = scheme[1]!.toLowerCase();
    if (sch === 'tls') tls = true;
    else if (sch === 'https') throw new Error(`${s}: DNS-over-HTTPS upstreams are not supported yet — use tls:// or plain DNS`);
    else if (sch === 'grpc') throw new Error(`${s}: grpc:// belongs to the grpc plugin — use tls:// or plain DNS`);
    else if (sch !== 'dns') throw new Error(`${s}: unknown protocol '${sch}://' — use dns:// or tls://`);
    rest = rest.slice(scheme[0].length);
  }
  const defPort = tls ? 853 : 53;
  let serverName: string | undefined;
  let host: string;
  let port = defPort;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new Error(`${s}: missing ']' in IPv6 address`);
    host = rest.slice(1, end);
    let after = rest.slice(end + 1);
    if (after.startsWith('%')) { // [::1]%name:port is not a CoreDNS form, but be lenient
      const colon = after.indexOf(':');
      serverName = after.slice(1, colon < 0 ? undefined : colon);
      after = colon < 0 ? '' : after.slice(colon);
    }
    if (after !== '') {
      if (!after.startsWith(':')) throw new Error(`${s}: expected ':PORT' after ']'`);
      port = parsePort(s, after.slice(1));
    }
  } else if (net.isIPv6(stripZone(rest.split('%')[0]!))) {
    host = rest;
  } else {
    const pct = rest.indexOf('%');
    let hostPort = rest;
    if (pct >= 0 && tls) {
      // tls://IP%SERVERNAME[:PORT]
      const tail = rest.slice(pct + 1);
      const colon = tail.lastIndexOf(':');
      serverName = colon < 0 ? tail : tail.slice(0, colon);
      hostPort = rest.slice(0, pct) + (colon < 0 ? '' : tail.slice(colon));
    }
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0) {
      host = hostPort.slice(0, colon);
      port = parsePort(s, hostPort.slice(colon + 1));
    } else {
      host = hostPort;
    }
  }
  host = stripZone(host);
  if (!net.isIP(host)) {
    if (scheme || /^[\d.]+(:\d+)?$/.test(rest)) throw new Error(`${s}: not an IP address`);
    return undefined; // a file path, or a hostname
  }
  const bracket = host.includes(':') ? `[${host}]` : host;
  return { host, port, tls, ...(serverName ? { serverName } : {}), label: `${tls ? 'tls://' : ''}${bracket}:${port}` };
}

function stripZone(h: string): string { const i = h.indexOf('%'); return i >= 0 && net.isIPv6(h.slice(0, i)) ? h.slice(0, i) : h; }

function parsePort(s: string, p: string): number {
  if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new Error(`${s}: bad port '${p}'`);
  return Number(p);
}

/**
 * Where a relative resolv.conf path is looked up: the working directory (as CoreDNS does), then the
 * directory of the Corefile.
 */
export function resolveFilePath(p: string, corefile: string): string {
  if (path.isAbsolute(p)) return p;
  const cwd = path.resolve(p);
  if (fs.existsSync(cwd) || corefile === '-' || corefile === '') return cwd;
  const beside = path.resolve(path.dirname(corefile), p);
  return fs.existsSync(beside) ? beside : cwd;
}

export class ResolvConfError extends Error {}

/**
 * The `nameserver` lines of a resolv.conf-style file, as upstream addresses (port 53). As an
 * extension, `nameserver IP:PORT` and `nameserver [IPv6]:PORT` are accepted.
 * Throws ResolvConfError with a one-line reason when the file is missing, unreadable or names no server.
 */
export function readResolvConf(file: string): UpstreamAddr[] {
  let text: string;
  try {
    text = readUserFileSync(file, 'resolvconf');
  } catch (e) {
    if (e instanceof UserFileError && e.code !== 'ENOENT' && e.code !== 'EACCES' && e.code !== 'EISDIR') throw new ResolvConfError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ResolvConfError(`${file}: no such file`);
    if (code === 'EACCES') throw new ResolvConfError(`${file}: permission denied`);
    if (code === 'EISDIR') throw new ResolvConfError(`${file}: is a directory`);
    throw new ResolvConfError(`${file}: ${(e as Error).message}`);
  }
  const out: UpstreamAddr[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const f = line.split(/\s+/);
    if (f[0] !== 'nameserver' || f.length < 2) continue;
    try {
      const a = parseAddress(f[1]!);
      if (a && !a.tls) out.push(a);
    } catch { /* not an IP: the C library ignores such lines too */ }
  }
  if (out.length === 0) throw new ResolvConfError(`${file}: no nameserver lines with an IP address`);
  return out;
}
