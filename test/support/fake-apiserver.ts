/**
 * A fake Kubernetes API server on 127.0.0.1 that speaks the real protocol over plain HTTP, for
 * driving the real @kubernetes/client-node in tests (no mocks of the client library).
 *
 * Resources: v1 services, namespaces, pods, configmaps, events and discovery.k8s.io/v1
 * endpointslices, cluster-wide and namespaced paths. What it implements of the API machinery:
 * - list with a resourceVersion, labelSelector/fieldSelector, and limit/continue paging;
 * - watch (`?watch=true`) as a chunked stream of JSON lines ADDED/MODIFIED/DELETED/BOOKMARK from a
 *   resourceVersion, replaying history, with selector transitions turned into ADDED/DELETED;
 * - 410 Gone: a watch from a resourceVersion older than the compacted history gets an ERROR
 *   event with code 410 (as the real server does), and `expireWatches()` sends one to open watches;
 * - failures: `dropWatches()` cuts open watch connections, `setOutage('error')` answers 503 to
 *   everything, `setOutage('refuse')` resets every connection, `setOutage(false)` heals;
 * - GET of one object by name; PUT (replace) and PATCH (JSON merge patch, or strategic merge patch
 *   treated as a merge patch, which is the same for a ConfigMap's `data`) of one configmap;
 *   POST of an event (create) — as kubectl edit/apply and client-go's event recorder send them;
 * - /version and discovery documents for the groups above.
 * Every request is recorded in `requests` so tests can check what the client asked for.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { fieldMatcher, labelMatcher } from './k8s-selector.ts';

export type Resource = 'services' | 'endpointslices' | 'namespaces' | 'pods' | 'configmaps' | 'events';
export type KubeObject = {
  apiVersion?: string; kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
};

interface HistoryEvent { rv: number; resource: Resource; type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: KubeObject; prev: KubeObject | null }
interface WatchConn {
  resource: Resource; ns: string | null;
  labels: (l: Record<string, string>) => boolean; fields: (o: unknown) => boolean;
  bookmarks: boolean; res: http.ServerResponse; closed: boolean; timer?: NodeJS.Timeout;
}
export interface SeenRequest { method: string; path: string; query: Record<string, string>; watch: boolean; status: number }

const KIND: Record<Resource, { kind: string; apiVersion: string; namespaced: boolean }> = {
  services: { kind: 'Service', apiVersion: 'v1', namespaced: true },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  namespaces: { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', namespaced: true },
  configmaps: { kind: 'ConfigMap', apiVersion: 'v1', namespaced: true },
  events: { kind: 'Event', apiVersion: 'v1', namespaced: true },
};
const MAX_HISTORY = 10_000;

function keyOf(o: KubeObject): string { return `${o.metadata.namespace ?? ''}/${o.metadata.name}`; }
function clone<T>(o: T): T { return JSON.parse(JSON.stringify(o)) as T; }

export class FakeApiServer {
  readonly requests: SeenRequest[] = [];
  private rv = 1000;
  private compactedRv = 0;              // watches from an rv below this get 410
  private readonly store: Record<Resource, Map<string, KubeObject>> = {
    services: new Map(), endpointslices: new Map(), namespaces: new Map(), pods: new Map(),
    configmaps: new Map(), events: new Map(),
  };
  private history: HistoryEvent[] = [];
  private readonly watches = new Set<WatchConn>();
  private readonly sockets = new Set<net.Socket>();
  private readonly pages = new Map<string, { items: KubeObject[]; rv: number }>();
  private outage: false | 'error' | 'refuse' = false;
  private held: (() => void)[] | null = null;
  private server!: http.Server;
  port = 0;

  static async start(): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    s.server = http.createServer((req, res) => s.handle(req, res));
    s.server.on('connection', (sock) => {
      if (s.outage === 'refuse') { sock.destroy(); return; }
      s.sockets.add(sock);
      sock.on('close', () => s.sockets.delete(sock));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as net.AddressInfo).port;
    return s;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }
  get resourceVersion(): number { return this.rv; }

  /** A kubeconfig for this server: plain http, no auth, and (deliberately) no insecure-skip-tls-verify. */
  kubeconfig(): string {
    return [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: fake', '  cluster:', `    server: ${this.url}`,
      'users:', '- name: fake', '  user: {}',
      'contexts:', '- name: fake', '  context:', '    cluster: fake', '    user: fake',
      'current-context: fake', '',
    ].join('\n');
  }
  writeKubeconfig(dir: string): string {
    const p = path.join(dir, 'kubeconfig.yaml');
    fs.writeFileSync(p, this.kubeconfig());
    return p;
  }

  // ---- data ----------------------------------------------------------------------------------

  /** Create or replace an object; returns its new resourceVersion. */
  upsert(resource: Resource, obj: KubeObject): string {
    const o = clone(obj);
    const meta = KIND[resource];
    o.apiVersion = meta.apiVersion; o.kind = meta.kind;
    if (meta.namespaced && !o.metadata.namespace) o.metadata.namespace = 'default';
    if (!meta.namespaced) delete o.metadata.namespace;
    const key = keyOf(o);
    const prev = this.store[resource].get(key) ?? null;
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.uid ??= prev?.metadata.uid ?? `uid-${this.rv}`;
    o.metadata.creationTimestamp ??= prev?.metadata.creationTimestamp ?? new Date().toISOString();
    this.store[resource].set(key, o);
    this.record({ rv: this.rv, resource, type: prev ? 'MODIFIED' : 'ADDED', obj: o, prev });
    return o.metadata.resourceVersion;
  }

  /** Delete an object (no-op when absent). */
  remove(resource: Resource, namespace: string | undefined, name: string): void {
    const key = `${KIND[resource].namespaced ? namespace ?? 'default' : ''}/${name}`;
    const prev = this.store[resource].get(key);
    if (!prev) return;
    this.store[resource].delete(key);
    const o = clone(prev);
    o.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, resource, type: 'DELETED', obj: o, prev });
  }

  get(resource: Resource, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.store[resource].get(`${KIND[resource].namespaced ? namespace ?? 'default' : ''}/${name}`);
    return o ? clone(o) : undefined;
  }

  count(resource: Resource): number { return this.store[resource].size; }

  /** Every object of a resource (in one namespace if given), e.g. the events a test caused. */
  objects(resource: Resource, namespace?: string): KubeObject[] {
    return [...this.store[resource].values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map(clone);
  }

  private record(ev: HistoryEvent): void {
    this.history.push(ev);
    if (this.history.length > MAX_HISTORY) {
      const cut = this.history.length - MAX_HISTORY;
      this.compactedRv = this.history[cut - 1]!.rv + 1;
      this.history = this.history.slice(cut);
    }
    for (const w of this.watches) if (w.resource === ev.resource) this.deliver(w, ev);
  }

  // ---- failure switches ----------------------------------------------------------------------

  /** Forget all history: every watch that reconnects from an older resourceVersion gets 410 Gone. */
  compact(): void { this.history = []; this.compactedRv = this.rv + 1; }

  /** Send ERROR 410 (Expired) on every open watch and end it, as a real server does after compaction. */
  expireWatches(): void {
    this.compact();
    for (const w of [...this.watches]) {
      this.write(w, { type: 'ERROR', object: this.status(410, 'Expired', 'too old resource version') });
      this.endWatch(w);
    }
  }

  /** Cut every open watch connection without a word (a dropped TCP connection). */
  dropWatches(): void {
    for (const w of [...this.watches]) {
      w.closed = true;
      this.watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
      w.res.socket?.destroy();
    }
  }

  /** 'error': answer 503 to everything; 'refuse': reset every connection; false: healthy. */
  setOutage(mode: false | 'error' | 'refuse'): void {
    this.outage = mode;
    if (mode) {
      this.dropWatches();
      if (mode === 'refuse') for (const s of this.sockets) s.destroy();
    }
  }

  /** Send a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue;
      const k = KIND[w.resource];
      this.write(w, { type: 'BOOKMARK', object: { kind: k.kind, apiVersion: k.apiVersion, metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /**
   * Hold every list request (not watches) until the returned release() is called: a slow first
   * list, so a test can act while a client is still waiting for it. heldLists() counts them.
   */
  holdLists(): () => void {
    const parked: (() => void)[] = [];
    this.held = parked;
    return () => {
      if (this.held === parked) this.held = null;
      for (const answer of parked.splice(0)) answer();
    };
  }

  heldLists(): number { return this.held?.length ?? 0; }

  openWatches(resource?: Resource): number {
    let n = 0;
    for (const w of this.watches) if (!resource || w.resource === resource) n++;
    return n;
  }

  /** Resolve when at least `n` watches are open on `resource` (or any), polling for up to `ms`. */
  async waitForWatches(n: number, resource?: Resource, ms = 5_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.openWatches(resource) < n) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${n} watches on ${resource ?? 'any'} (have ${this.openWatches(resource)})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.dropWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private status(code: number, reason: string, message: string): object {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private route(p: string): { resource: Resource; ns: string | null; name?: string } | 'version' | 'discovery' | null {
    let m: RegExpExecArray | null;
    if (p === '/version') return 'version';
    if (p === '/api' || p === '/apis' || p === '/api/v1' || p === '/apis/discovery.k8s.io/v1') return 'discovery';
    if ((m = /^\/api\/v1\/(services|pods|namespaces)$/.exec(p))) return { resource: m[1] as Resource, ns: null };
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/(services|pods|configmaps|events)$/.exec(p))) return { resource: m[2] as Resource, ns: m[1]! };
    if ((m = /^\/api\/v1\/(configmaps|events)$/.exec(p))) return { resource: m[1] as Resource, ns: null };
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/(services|pods|configmaps|events)\/([^/]+)$/.exec(p))) return { resource: m[2] as Resource, ns: m[1]!, name: m[3]! };
    if (p === '/apis/discovery.k8s.io/v1/endpointslices') return { resource: 'endpointslices', ns: null };
    if ((m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(p))) return { resource: 'endpointslices', ns: m[1]! };
    return null;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const watch = query.watch === 'true' || query.watch === '1';
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query, watch, status: 200 };
    this.requests.push(seen);
    if (this.outage === 'refuse') { req.socket.destroy(); seen.status = 0; return; }
    if (this.outage === 'error') {
      seen.status = 503;
      return this.send(res, 503, this.status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    }
    const r = this.route(url.pathname);
    if (r === 'version') return this.send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-fake' });
    if (r === 'discovery') return this.send(res, 200, this.discovery(url.pathname));
    if (r && (r.name !== undefined || req.method === 'POST')) { this.write1(req, res, r, seen); return; }
    if (!r || req.method !== 'GET') {
      seen.status = 404;
      return this.send(res, 404, this.status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    }
    let labels, fields;
    try {
      labels = labelMatcher(query.labelSelector);
      fields = fieldMatcher(query.fieldSelector);
    } catch (e) {
      seen.status = 400;
      return this.send(res, 400, this.status(400, 'BadRequest', (e as Error).message));
    }
    if (watch) return this.startWatch(req, res, r.resource, r.ns, labels, fields, query);
    if (this.held) { this.held.push(() => { if (!res.destroyed) this.list(res, r.resource, r.ns, labels, fields, query, seen); }); return; }
    this.list(res, r.resource, r.ns, labels, fields, query, seen);
  }

  /** GET/PUT/PATCH of one object (PUT and PATCH for configmaps only), POST of an event. */
  private write1(req: http.IncomingMessage, res: http.ServerResponse, r: { resource: Resource; ns: string | null; name?: string }, seen: SeenRequest): void {
    const fail = (code: number, reason: string, message: string) => { seen.status = code; this.send(res, code, this.status(code, reason, message)); };
    const current = r.name !== undefined ? this.store[r.resource].get(`${r.ns}/${r.name}`) : undefined;
    if (req.method === 'GET') {
      if (!current) return fail(404, 'NotFound', `${r.resource} "${r.name}" not found`);
      return this.send(res, 200, current);
    }
    const allowed = (r.resource === 'configmaps' && (req.method === 'PUT' || req.method === 'PATCH')) || (r.resource === 'events' && req.method === 'POST' && r.name === undefined);
    if (!allowed) return fail(405, 'MethodNotAllowed', `${req.method} is not supported on ${r.resource} here`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: KubeObject;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject; } catch (e) {
        return fail(400, 'BadRequest', `invalid JSON body: ${(e as Error).message}`);
      }
      if (req.method === 'POST') {
        const kind = KIND[r.resource];
        if (body.kind !== kind.kind || body.apiVersion !== kind.apiVersion) return fail(400, 'BadRequest', `expected kind ${kind.kind} apiVersion ${kind.apiVersion}`);
        const name = body.metadata?.name ?? (body.metadata?.generateName ? `${String(body.metadata.generateName)}${Math.random().toString(36).slice(2, 7)}` : undefined);
        if (!name) return fail(422, 'Invalid', 'metadata.name or metadata.generateName is required');
        if (body.metadata.namespace && body.metadata.namespace !== r.ns) return fail(400, 'BadRequest', 'the namespace of the object does not match the namespace on the request');
        if (this.store[r.resource].has(`${r.ns}/${name}`)) return fail(409, 'AlreadyExists', `${r.resource} "${name}" already exists`);
        this.upsert(r.resource, { ...body, metadata: { ...body.metadata, name, namespace: r.ns! } });
        seen.status = 201;
        return this.send(res, 201, this.store[r.resource].get(`${r.ns}/${name}`));
      }
      if (!current) return fail(404, 'NotFound', `${r.resource} "${r.name}" not found`);
      let next: KubeObject;
      if (req.method === 'PUT') {
        const want = body.metadata?.resourceVersion;
        if (want && want !== current.metadata.resourceVersion) return fail(409, 'Conflict', `Operation cannot be fulfilled on ${r.resource} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`);
        next = { ...body, metadata: { ...body.metadata, name: r.name!, namespace: r.ns! } };
      } else {
        next = mergePatch(current, body) as KubeObject;
      }
      this.upsert(r.resource, next);
      this.send(res, 200, this.store[r.resource].get(`${r.ns}/${r.name}`));
    });
  }

  private matches(o: KubeObject, ns: string | null, labels: (l: Record<string, string>) => boolean, fields: (o: unknown) => boolean): boolean {
    if (ns !== null && o.metadata.namespace !== ns) return false;
    return labels(o.metadata.labels ?? {}) && fields(o);
  }

  private list(
    res: http.ServerResponse, resource: Resource, ns: string | null,
    labels: (l: Record<string, string>) => boolean, fields: (o: unknown) => boolean,
    query: Record<string, string>, seen: SeenRequest,
  ): void {
    let items: KubeObject[];
    let rv = this.rv;
    const token = query.continue;
    if (token) {
      const page = this.pages.get(token);
      if (!page) {
        seen.status = 410;
        return this.send(res, 410, this.status(410, 'Expired', 'the provided continue parameter is too old'));
      }
      this.pages.delete(token);
      items = page.items; rv = page.rv;
    } else {
      items = [...this.store[resource].values()]
        .filter((o) => this.matches(o, ns, labels, fields))
        .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    }
    const limit = Number(query.limit ?? 0);
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (limit > 0 && items.length > limit) {
      const next = `page-${rv}-${Math.random().toString(36).slice(2)}`;
      this.pages.set(next, { items: items.slice(limit), rv });
      metadata.continue = next;
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    const k = KIND[resource];
    this.send(res, 200, { kind: `${k.kind}List`, apiVersion: k.apiVersion, metadata, items });
  }

  private startWatch(
    req: http.IncomingMessage, res: http.ServerResponse, resource: Resource, ns: string | null,
    labels: (l: Record<string, string>) => boolean, fields: (o: unknown) => boolean, query: Record<string, string>,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: WatchConn = {
      resource, ns, labels, fields, bookmarks: query.allowWatchBookmarks === 'true', res, closed: false,
    };
    const from = query.resourceVersion ?? '';
    if (from !== '' && from !== '0' && Number(from) < this.compactedRv) {
      this.write(w, { type: 'ERROR', object: this.status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`) });
      res.end();
      return;
    }
    this.watches.add(w);
    req.on('close', () => this.endWatch(w));
    if (from === '' || from === '0') {
      for (const o of this.store[resource].values()) {
        if (this.matches(o, ns, labels, fields)) this.write(w, { type: 'ADDED', object: o });
      }
    } else {
      const start = Number(from);
      for (const ev of this.history) if (ev.resource === resource && ev.rv > start) this.deliver(w, ev);
    }
    const timeout = Number(query.timeoutSeconds ?? 0);
    if (timeout > 0) w.timer = setTimeout(() => this.endWatch(w), timeout * 1000);
  }

  private deliver(w: WatchConn, ev: HistoryEvent): void {
    const now = this.matches(ev.obj, w.ns, w.labels, w.fields);
    const before = ev.prev !== null && this.matches(ev.prev, w.ns, w.labels, w.fields);
    let type: string | null = null;
    if (ev.type === 'DELETED') type = before ? 'DELETED' : null;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) this.write(w, { type, object: ev.obj });
  }

  private write(w: WatchConn, ev: object): void {
    if (w.closed) return;
    w.res.write(JSON.stringify(ev) + '\n');
  }

  private endWatch(w: WatchConn): void {
    if (w.closed) return;
    w.closed = true;
    this.watches.delete(w);
    if (w.timer) clearTimeout(w.timer);
    w.res.end();
  }

  private discovery(p: string): object {
    if (p === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (p === '/apis') {
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'discovery.k8s.io', versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }], preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' } }] };
    }
    const res = (name: string, kind: string, namespaced: boolean) => ({ name, singularName: '', namespaced, kind, verbs: ['get', 'list', 'watch'] });
    if (p === '/api/v1') {
      return { kind: 'APIResourceList', groupVersion: 'v1', resources: [res('services', 'Service', true), res('pods', 'Pod', true), res('namespaces', 'Namespace', false), res('configmaps', 'ConfigMap', true), res('events', 'Event', true)] };
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'discovery.k8s.io/v1', resources: [res('endpointslices', 'EndpointSlice', true)] };
  }
}

/** RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---- object builders for tests -----------------------------------------------------------------

export function configMap(ns: string, name: string, data: Record<string, string>): KubeObject {
  return { metadata: { name, namespace: ns }, data };
}

export interface ServicePortSpec { name?: string; port: number; protocol?: string }

export function service(ns: string, name: string, spec: {
  clusterIP?: string; clusterIPs?: string[]; type?: string; externalName?: string; ports?: ServicePortSpec[];
  selector?: Record<string, string>; labels?: Record<string, string>;
}): KubeObject {
  const clusterIPs = spec.clusterIPs ?? (spec.clusterIP !== undefined ? [spec.clusterIP] : undefined);
  return {
    metadata: { name, namespace: ns, labels: spec.labels },
    spec: {
      type: spec.type ?? (spec.externalName ? 'ExternalName' : 'ClusterIP'),
      clusterIP: clusterIPs?.[0], clusterIPs, externalName: spec.externalName,
      ports: spec.ports?.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
      selector: spec.selector,
    },
  };
}

export interface EndpointSpec { ip: string | string[]; hostname?: string; pod?: string; ready?: boolean | null; serving?: boolean; terminating?: boolean; node?: string }

export function endpointSlice(ns: string, name: string, svc: string, spec: {
  endpoints: EndpointSpec[]; ports?: ServicePortSpec[]; addressType?: string; labels?: Record<string, string>;
  lastChange?: string;
}): KubeObject {
  const first = spec.endpoints[0]?.ip;
  const firstIp = Array.isArray(first) ? first[0] : first;
  return {
    metadata: {
      name, namespace: ns,
      labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', ...spec.labels },
      annotations: spec.lastChange ? { 'endpoints.kubernetes.io/last-change-trigger-time': spec.lastChange } : undefined,
    },
    addressType: spec.addressType ?? (firstIp?.includes(':') ? 'IPv6' : 'IPv4'),
    endpoints: spec.endpoints.map((e) => ({
      addresses: Array.isArray(e.ip) ? e.ip : [e.ip],
      conditions: e.ready === null ? {} : { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      hostname: e.hostname,
      nodeName: e.node,
      targetRef: e.pod ? { kind: 'Pod', namespace: ns, name: e.pod } : undefined,
    })),
    ports: spec.ports?.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function namespace(name: string, labels?: Record<string, string>): KubeObject {
  return { metadata: { name, labels }, spec: {}, status: { phase: 'Active' } };
}

export function pod(ns: string, name: string, ip: string, extra: { phase?: string; labels?: Record<string, string>; deleting?: boolean } = {}): KubeObject {
  return {
    metadata: { name, namespace: ns, labels: extra.labels, deletionTimestamp: extra.deleting ? new Date().toISOString() : undefined },
    spec: {},
    status: { phase: extra.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}
