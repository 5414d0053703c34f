/**
 * The kubernetes plugin's control part: it owns the source (API watches or manifests) and the
 * index it feeds, and speaks for the process: the wait for the first sync at server start (as
 * CoreDNS, at most startup_timeout), ready() once the source has synced, and the cluster images.
 *
 * How the index is kept depends on where the answering part is, which the control part learns
 * through the same-thread shortcut (`Here`, filled here and taken by the answering part of this
 * thread, built right after this one from the same parse):
 * - taken: one thread answers, from the live index ('live' source; no image is ever built);
 * - not taken once the block is set up (afterSetup): the answering parts are in worker threads,
 *   so the index keeps only the records, and its ImageBuilder's images are published with
 *   replicated() to every answering thread ('images' source).
 * The source is built during setup and started by start(): setup opens nothing. Under -validate
 * there is no source at all (index.ts checks what it can offline).
 */
import type { ControlPart, SetupContext } from '../../plugin/contract.ts';
import { replicated, type Replicated } from '../../plugin/replicated.ts';
import type { ClusterView } from './cluster-view.ts';
import type { ClusterImage } from './image-builder.ts';
import { ImageView } from './image-view.ts';
import { KubernetesLookups } from './lookups.ts';
import { viewOf } from './overlay-view.ts';
import type { KubernetesOptions } from './setup.ts';
import { acquireSource, sourceKey, type SharedSource, type SourceFactory, type SourceMode, type SourceUser } from './shared-source.ts';
import { SyncGate } from './sync-gate.ts';

/** What the answering part of the control part's own thread takes: the live index and its gate. */
export interface Live { view: ClusterView; gate: SyncGate }

/** The same-thread shortcut: the holder parse() returns, filled by the control part. */
export interface Here { live?: () => Live }

export class KubernetesControl extends KubernetesLookups implements ControlPart {
  protected readonly gate: SyncGate;
  private readonly ctx: SetupContext;
  private readonly make: SourceFactory | undefined;
  private readonly user: SourceUser;
  private source: SharedSource | undefined;
  /** The images, published to the answering threads ('images' only). */
  private images: Replicated<ClusterImage> | undefined;
  /** The image (and overlay) backend.index reads (peers' lookups in this thread), and its view. */
  private viewed: ClusterImage | undefined;
  private imageView: ImageView | undefined;
  private closed = false;

  /** `make` undefined: -validate, where nothing is fed (no connection). */
  constructor(o: KubernetesOptions, ctx: SetupContext, make: SourceFactory | undefined, here: Here) {
    super(o, ImageView.empty(o.endpointPodNames), () => ctx.block.listenAddresses);
    this.ctx = ctx;
    this.make = make;
    this.gate = new SyncGate(o.startupTimeoutMs);
    this.user = { synced: () => this.gate.markSynced(), image: (img) => this.images?.publish(img) };
    if (!make) return;
    here.live = () => {
      this.acquire('live');
      return { view: this.backend.index, gate: this.gate };
    };
    ctx.afterSetup?.(() => this.acquire('images'));
  }

  /** The source for this generation (shared with a previous one that reads the same objects). */
  private acquire(mode: SourceMode): void {
    if (this.source || this.closed || !this.make) return;
    if (mode === 'images') this.images = replicated<ClusterImage>(this.ctx, 'cluster');
    this.source = acquireSource(this.ctx, sourceKey(this.o, mode), this.o, mode, this.user, this.make);
    if (mode === 'live') this.backend.index = this.source.index;
    if (this.source.image) this.images?.publish(this.source.image);
  }

  /**
   * Peers' lookups in this thread read what the answering threads read: the latest image and its
   * overlay ('images'; the live index needs nothing).
   */
  protected override refresh(): void {
    const img = this.source?.image;
    if (!img || img === this.viewed) return;
    if (img.seq !== this.viewed?.seq || !this.imageView) this.imageView = new ImageView(img.buffer, this.o.endpointPodNames);
    this.viewed = img;
    this.backend.index = viewOf(this.imageView, img.seq, img.overlay, this.o.endpointPodNames);
  }

  ready(): boolean { return this.gate.isSynced; }

  /**
   * Once the server listens: start the source (the API watches), then hold server start until
   * it has synced, for at most the startup timeout, as CoreDNS does.
   */
  async start(): Promise<void> {
    if (this.closed || !this.make) return;
    this.acquire('images');   // a context without afterSetup (setup called by hand) decides here
    const source = this.source!;
    source.start();
    if (this.gate.isSynced) return;
    const log = this.ctx.log;
    const ticker = setInterval(() => log.info('waiting for Kubernetes API before starting server'), 500);
    try {
      await this.gate.wait();
    } finally {
      clearInterval(ticker);
    }
    if (!this.gate.isSynced && !this.closed) {
      log.warning('starting server with unsynced Kubernetes API');
      source.publishUnsynced();   // the answering threads answer from what is known (as CoreDNS)
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.gate.close();
    this.images?.close();
    await this.source?.release(this.user);
  }
}
