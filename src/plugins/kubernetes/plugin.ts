/**
 * The kubernetes plugin instance: wires options, the cluster view, a source and the handler
 * together for the role this thread plays.
 * - 'single': the source (API or manifests) feeds the ClusterIndex this thread answers from;
 * - 'control': the source feeds a records-only index; its image builder (shared with the source)
 *   makes cluster images in shared memory, published with replicated() to the answering threads;
 * - 'data': answers from the latest cluster image (ImageView over the very SharedArrayBuffer the
 *   control side built: one copy for every thread); no API connection and no index here.
 * Until the first complete list, ready() is false and queries in our zones wait (up to
 * startup_timeout from setup); after that, they are answered from whatever is known, with
 * SERVFAIL instead of NXDOMAIN while still unsynced (as CoreDNS).
 */
import type { Next, Plugin, Request, Result, SetupContext } from '../../plugin/contract.ts';
import { Backend } from './backend.ts';
import { matchZone } from '../../dns/name.ts';
import { KubernetesHandler } from './handler.ts';
import { ImageView } from './image-view.ts';
import { collectSoon } from './collect.ts';
import type { ClusterImage } from './image-builder.ts';
import type { ClusterView } from './cluster-view.ts';
import { replicated, type Replicated } from '../../plugin/replicated.ts';
import { localIPs } from './local.ts';
import type { KubernetesOptions } from './setup.ts';
import { podSearchPath } from './autopath.ts';
import { readSearchDomains } from '../../plugin/resolv-conf.ts';
import type { AutoPather, Externaler, ExternalService } from '../../plugin/capabilities.ts';
import { external, externalAddress } from './external.ts';
import { acquireSource, sourceKey, type SharedSource, type SourceFactory, type SourceUser } from './shared-source.ts';

export type { Source, SourceFactory } from './shared-source.ts';

/** The node's own search domains, appended to a pod's search path (CoreDNS's searchFromResolvConf). */
function hostSearchDomains(): string[] {
  try { return readSearchDomains('/etc/resolv.conf'); } catch { return []; }
}

export class KubernetesPlugin implements Plugin, AutoPather, Externaler {
  readonly name = 'kubernetes';
  readonly backend: Backend;
  readonly o: KubernetesOptions;
  private readonly handler: KubernetesHandler;
  private readonly ctx: SetupContext;
  private readonly deadline: number;
  private source: SharedSource | undefined;
  private readonly user: SourceUser;
  /** The cluster images: published here on the control side, read on the data side. */
  private images: Replicated<ClusterImage> | undefined;
  private view: ImageView | undefined;   // data side: the image this thread answers from
  private isSynced = false;
  private waiters: (() => void)[] = [];
  private waitTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private hostSearch: string[] | undefined;

  /** `makeSource` undefined: -validate, where the plugin is built but never fed (no connection). */
  constructor(o: KubernetesOptions, ctx: SetupContext, makeSource: SourceFactory | undefined) {
    this.o = o;
    this.ctx = ctx;
    this.deadline = Date.now() + o.startupTimeoutMs;
    this.user = { synced: () => this.markSynced(), image: (img) => this.images?.publish(img) };
    let index: ClusterView;
    if (!makeSource || ctx.role === 'data') {
      this.view = ImageView.empty(o.endpointPodNames);
      index = this.view;
      if (makeSource) {
        this.images = replicated<ClusterImage>(ctx, 'cluster');
        this.images.onChange((img) => this.adopt(img));
      }
    } else {
      if (ctx.role === 'control') this.images = replicated<ClusterImage>(ctx, 'cluster');
      // The source (and its index and images) outlives a reload that keeps these options: see shared-source.ts.
      this.source = acquireSource(ctx.shared, sourceKey(o, ctx.role), o, ctx.role, this.user, makeSource);
      index = this.source.index;
      if (this.source.isSynced) this.markSynced();
      if (this.source.image) this.images?.publish(this.source.image);
    }
    let ips: string[] | undefined;
    this.backend = new Backend(o, index, () => (ips ??= localIPs(ctx.block.listenAddresses)));
    this.handler = new KubernetesHandler(this.backend, { synced: () => this.isSynced });
  }

  ready(): boolean { return this.isSynced; }

  /** What lookups read now (the index, or this thread's current cluster image). */
  get index(): ClusterView { return this.backend.index; }

  /** Data side: answer from a new image from now on; the previous one goes with its last reader. */
  private adopt(img: ClusterImage): void {
    if (this.closed) return;
    const view = new ImageView(img.buffer, this.o.endpointPodNames);
    view.adopt();
    const old = this.view;
    this.view = view;
    this.backend.index = view;
    if (old?.adopted) {
      old.release();
      collectSoon();   // its shared memory goes once every thread has collected its handle
    }
    if (img.synced) this.markSynced();
  }

  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    this.wake();
  }

  private wake(): void {
    if (this.waitTimer) { clearTimeout(this.waitTimer); this.waitTimer = undefined; }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when synced or when startup_timeout (counted from setup) has passed. */
  private whenSyncedOrTimeout(): Promise<void> {
    if (this.isSynced || Date.now() >= this.deadline || this.closed) return Promise.resolve();
    this.waitTimer ??= setTimeout(() => { this.waitTimer = undefined; this.wake(); }, Math.max(0, this.deadline - Date.now()));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Once the server listens: start the source (the API watches), then hold server start until
   * the API has synced, for at most the startup timeout, as CoreDNS does. Nothing to do on the
   * data side (the control side's source feeds it) or under -validate (no source).
   */
  async start(): Promise<void> {
    if (this.closed || !this.source) return;
    this.source.start();
    if (this.isSynced) return;
    const log = this.ctx.log;
    const ticker = setInterval(() => log.info('waiting for Kubernetes API before starting server'), 500);
    try {
      await this.whenSyncedOrTimeout();
    } finally {
      clearInterval(ticker);
    }
    if (!this.isSynced && !this.closed) {
      log.warning('starting server with unsynced Kubernetes API');
      this.source.publishUnsynced();   // the answering threads answer from what is known (as CoreDNS)
    }
  }

  serve(req: Request, next: Next): Result {
    const zone = matchZone(this.o.zones, req.qname);
    if (zone === undefined) return next(req);
    if (!this.isSynced && Date.now() < this.deadline) {
      return this.whenSyncedOrTimeout().then(() => this.handler.answer(req, next, zone));
    }
    return this.handler.answer(req, next, zone);
  }

  /** For autopath: the search path of the pod that sent `req` (capabilities.ts AutoPather). */
  autoPath(req: Request): string[] | undefined {
    return podSearchPath(this.o, this.backend.index, this.hostSearch ??= hostSearchDomains(), req);
  }

  autoPathUnavailable(): string | undefined {
    return this.o.podMode === 'verified' ? undefined : 'needs the kubernetes plugin\'s `pods verified` (autopath finds the client\'s namespace from its pod IP)';
  }

  /** For k8s_external (capabilities.ts Externaler). */
  external(name: string, zone: string, qtype: number, headless: boolean): { services: ExternalService[]; rcode: number } {
    return external(this.backend, name, zone, qtype, headless);
  }

  externalAddress(_zone: string, headless: boolean): string[] { return externalAddress(this.backend, headless); }

  externalSerial(_zone: string): number { return this.backend.index.externalModified >>> 0; }

  externalReady(): Promise<void> | null {
    return this.isSynced || Date.now() >= this.deadline || this.closed ? null : this.whenSyncedOrTimeout();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    this.images?.close();
    this.view?.release();
    await this.source?.release(this.user);
  }
}
