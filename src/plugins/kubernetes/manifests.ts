/**
 * `manifests FILE|DIR...` (clusterdns only): Services, EndpointSlices, Namespaces and Pods read
 * from Kubernetes YAML or JSON files instead of an API server, and watched for changes. Same
 * records, same indexes, same answers — so `npm start` shows cluster answers without a cluster,
 * and a cluster's DNS can be tested in CI from its manifests.
 *
 * Directories are read recursively (*.yaml, *.yml, *.json); multi-document files and `kind: List`
 * work. Objects without a namespace are in `default`. Namespaces exist when declared, when an
 * object lives in them, and for the four every cluster has (default, kube-system, kube-public,
 * kube-node-lease). A file that fails to parse is logged and its last good content kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { CorefileError } from '../../corefile/types.ts';
import type { Logger } from '../../plugin/contract.ts';
import type { Feed } from './feed.ts';
import { matchLabels } from './labels.ts';
import {
  Kind, toNamespace, toPod, toService, toSlice,
  type ApiEndpointSlice, type ApiPod, type ApiService, type Rec,
} from './records.ts';
import { requiredKinds, type KubernetesOptions } from './setup.ts';
import { readUserFileSync, UserFileError } from '../../corefile/files.ts';
import { checkManifestObject } from './validate.ts';

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const MAX_FILES = 10_000;
const DEBOUNCE_MS = 50;

interface Obj { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; items?: unknown[] }

function hash(r: Rec): string {
  return createHash('sha1').update(JSON.stringify(r)).digest('base64').slice(0, 16);
}

export class ManifestSource {
  private readonly o: KubernetesOptions;
  private readonly feed: Feed;
  private readonly log: Logger;
  private readonly lastGood = new Map<string, Obj[]>();   // file → objects of its last good parse
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  reads = 0;

  constructor(o: KubernetesOptions, feed: Feed, log: Logger) {
    this.o = o;
    this.feed = feed;
    this.log = log;
    for (const p of o.manifests) {
      if (!fs.existsSync(p)) throw CorefileError.at(o.at, `kubernetes: manifests path ${p} does not exist — give existing files or directories`);
    }
  }

  start(): void {
    this.load();
    for (const p of this.o.manifests) this.watch(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }

  private watch(p: string): void {
    try {
      const isDir = fs.statSync(p).isDirectory();
      // A file is watched through its directory, so editors that replace it (rename) are seen.
      const dir = isDir ? p : path.dirname(p);
      const base = path.basename(p);
      const w = fs.watch(dir, { recursive: isDir }, (_e, name) => {
        if (isDir || name === null || name === base) this.schedule();
      });
      w.on('error', (e) => this.log.error(`watching ${p}: ${e.message}`));
      this.watchers.push(w);
    } catch (e) {
      this.log.error(`cannot watch ${p}: ${(e as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.load(); }, DEBOUNCE_MS);
  }

  private files(): string[] {
    const out: string[] = [];
    const walk = (p: string, top: boolean) => {
      if (out.length >= MAX_FILES) return;
      let st: fs.Stats;
      try { st = fs.statSync(p); } catch { return; }
      if (st.isDirectory()) {
        for (const e of fs.readdirSync(p).sort()) if (!e.startsWith('.')) walk(path.join(p, e), false);
      } else if (top || /\.(ya?ml|json)$/i.test(p)) {
        out.push(p);
      }
    };
    for (const p of this.o.manifests) walk(p, true);
    return out;
  }

  private parse(file: string): Obj[] {
    const text = readUserFileSync(file, 'manifest');
    const objs: Obj[] = [];
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split('\n')[0]);
      const v = doc.toJS() as Obj | null;
      if (!v || typeof v !== 'object') continue;
      if (v.kind === 'List' || (v.kind?.endsWith('List') && Array.isArray(v.items))) objs.push(...((v.items ?? []) as Obj[]));
      else objs.push(v);
    }
    // Names the API server would refuse (`*`, `a.b`, a newline) are not served; see validate.ts.
    const problems: string[] = [];
    const good = objs.flatMap((x) => (x && typeof x === 'object' ? checkManifestObject(x, problems) ?? [] : []));
    for (const p of problems) this.log.warning(`manifests: ${file}: ${p}`);
    return good;
  }

  /** Read every file again and hand the complete sets to the feed (which keeps only the changes). */
  load(): void {
    if (this.stopped) return;
    this.reads++;
    const seen = new Set<string>();
    for (const f of this.files()) {
      seen.add(f);
      try {
        this.lastGood.set(f, this.parse(f));
      } catch (e) {
        this.log.error(`manifests: ${e instanceof UserFileError ? e.message : `${f}: ${(e as Error).message}`} — keeping its last good content`);
      }
    }
    for (const f of [...this.lastGood.keys()]) if (!seen.has(f)) this.lastGood.delete(f);

    const o = this.o;
    const keep = (ns: string, labels: Record<string, string> | undefined) =>
      (o.namespaces.size === 0 || o.namespaces.has(ns)) && matchLabels(o.labels, labels);
    const sets: Record<Kind, Map<string, Rec>> = { 0: new Map(), 1: new Map(), 2: new Map(), 3: new Map() };
    const namespaces = new Map<string, Record<string, string> | undefined>();
    for (const ns of BUILTIN_NAMESPACES) namespaces.set(ns, undefined);
    const put = (k: Kind, key: string, r: Rec) => { r.rv = hash(r); sets[k].set(key, r); };

    for (const objs of this.lastGood.values()) {
      for (const obj of objs) {
        const m = obj.metadata ?? {};
        if (!m.name) continue;
        if (obj.kind === 'Namespace') { namespaces.set(m.name, m.labels); continue; }
        const ns = m.namespace ?? 'default';
        m.namespace = ns;
        if (!namespaces.has(ns)) namespaces.set(ns, undefined);
        if (!keep(ns, m.labels)) continue;
        switch (obj.kind) {
          case 'Service': put(Kind.Service, `${m.name}.${ns}`, toService(obj as ApiService)); break;
          case 'EndpointSlice':
            if (!o.noEndpoints) put(Kind.Slice, `${ns}/${m.name}`, toSlice(obj as ApiEndpointSlice, o.endpointPodNames));
            break;
          case 'Pod': {
            if (o.podMode !== 'verified') break;
            const p = toPod(obj as ApiPod);
            if (p) put(Kind.Pod, `${ns}/${m.name}`, p);
            break;
          }
          default: break;
        }
      }
    }
    for (const [name, labels] of namespaces) {
      if (matchLabels(o.namespaceLabels, labels)) put(Kind.Namespace, name, toNamespace({ metadata: { name } }));
    }
    for (const k of requiredKinds(o)) this.feed.replace(k, [...sets[k].values()]);
  }
}
