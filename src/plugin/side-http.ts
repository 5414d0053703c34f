/**
 * Side HTTP listeners for plugins (health :8080, ready :8181, metrics :9153): one listener per
 * address, shared by every server block and plugin that names it, and kept open across reloads:
 * a new generation of plugins claims its route before the old one lets go, so /health never
 * blinks during a reload. Plugins parse their ADDRESS argument with sideAddress() and claim
 * their path with claimRoute(); they never open an HTTP server of their own.
 */
import http from 'node:http';
import type { Directive } from '../corefile/types.ts';
import { CorefileError } from '../corefile/types.ts';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface SharedHttp {
  server: http.Server;
  routes: Map<string, Route[]>;   // path → claimants; the newest one answers
  refs: number;
  ready: Promise<void>;
}

const listeners = new Map<string, SharedHttp>();

/** Split "host:port", ":port", "[v6]:port" into host and port; host "" means all interfaces. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`"${addr}" is not HOST:PORT`);
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) throw new Error(`port ${m[3]} out of range`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/**
 * The listener address of a plugin's optional ADDRESS argument (d.args[0]), as CoreDNS reads it:
 * `defaultAddr` when absent, HOST alone gets the default port. A malformed one is a FILE:LINE error.
 */
export function sideAddress(d: Directive, defaultAddr: string): string {
  const defaultPort = defaultAddr.slice(defaultAddr.lastIndexOf(':') + 1);
  let addr = d.args[0] ?? defaultAddr;
  if (!addr.includes(':')) addr = `${addr}:${defaultPort}`;
  try {
    splitHostPort(addr);
  } catch (e) {
    throw CorefileError.at(d, `${d.name}: invalid address "${addr}": ${(e as Error).message} — use HOST:PORT, e.g. :${defaultPort}`);
  }
  return addr;
}

/**
 * Claim `path` on the HTTP listener at `addr`. Returns a release function. The listener opens on
 * the first claim and closes when the last claim on it is released.
 */
export async function claimRoute(addr: string, path: string, route: Route): Promise<() => Promise<void>> {
  let l = listeners.get(addr);
  if (!l) {
    const { host, port } = splitHostPort(addr);
    const routes = new Map<string, Route[]>();
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0]!;
      const claim = routes.get(url);
      const r = claim?.[claim.length - 1];
      if (r) return r(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    });
    server.keepAliveTimeout = 5_000;
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host === 'localhost' ? '127.0.0.1' : host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    l = { server, routes, refs: 0, ready };
    listeners.set(addr, l);
    try {
      await ready;
    } catch (e) {
      listeners.delete(addr);
      throw new Error(`cannot listen on ${addr}: ${(e as Error).message}`);
    }
  } else {
    await l.ready;
  }
  const shared = l;
  shared.refs++;
  const list = shared.routes.get(path) ?? [];
  list.push(route);
  shared.routes.set(path, list);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const i = list.indexOf(route);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) shared.routes.delete(path);
    if (--shared.refs === 0) {
      listeners.delete(addr);
      shared.server.closeAllConnections();
      await new Promise<void>((r) => shared.server.close(() => r()));
    }
  };
}
