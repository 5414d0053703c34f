/**
 * The kubernetes plugin's answering part: answers queries in our zones from a ClusterView.
 * - In one thread it takes the control part's live ClusterIndex through the same-thread shortcut
 *   (control.ts `Here`), and the control part's SyncGate with it.
 * - In a worker it answers from the latest cluster image the control part published with
 *   replicated() (ImageView over the very SharedArrayBuffer the control part built: one copy for
 *   every thread), with the overlay of changes since that image when one came (OverlayView); it
 *   has no source and no index of its own, and is ready once an image that says synced has arrived.
 * Until the first complete list, queries in our zones wait (up to startup_timeout from setup);
 * after that, they are answered from whatever is known, with SERVFAIL instead of NXDOMAIN while
 * still unsynced (as CoreDNS).
 */
import type { Next, Plugin, Request, Result, SetupContext } from '../../plugin/contract.ts';
import { replicated, type Replicated } from '../../plugin/replicated.ts';
import { matchZone } from '../../dns/name.ts';
import { collectSoon } from '../../plugin/collect.ts';
import type { Live } from './control.ts';
import { KubernetesHandler } from './handler.ts';
import type { ClusterImage } from './image-builder.ts';
import { ImageView } from './image-view.ts';
import { KubernetesLookups } from './lookups.ts';
import { viewOf } from './overlay-view.ts';
import type { KubernetesOptions } from './setup.ts';
import { SyncGate } from './sync-gate.ts';

export type { Source, SourceFactory } from './shared-source.ts';

export class KubernetesAnswering extends KubernetesLookups implements Plugin {
  protected readonly gate: SyncGate;
  private readonly handler: KubernetesHandler;
  /** The cluster images (a worker): read here, published by the control part. */
  private images: Replicated<ClusterImage> | undefined;
  private view: ImageView | undefined;   // a worker: the image this thread answers from
  private seq = -1;                      // ... and its sequence number (ClusterImage.seq)
  private closed = false;

  /** `live`: the control part of this thread serves its index; undefined: read the published images. */
  constructor(o: KubernetesOptions, ctx: SetupContext, live: Live | undefined) {
    super(o, live?.view ?? ImageView.empty(o.endpointPodNames), () => ctx.block.listenAddresses);
    this.gate = live?.gate ?? new SyncGate(o.startupTimeoutMs);
    if (!live) {
      this.view = this.backend.index as ImageView;
      // Under -validate nothing is published and nothing may wait for it.
      if (ctx.mode !== 'validate') {
        this.images = replicated<ClusterImage>(ctx, 'cluster');
        this.images.onChange((img) => this.adopt(img));
      }
    }
    this.handler = new KubernetesHandler(this.backend, { synced: () => this.gate.isSynced });
  }

  ready(): boolean { return this.gate.isSynced; }

  /**
   * Answer from a new image (and its overlay) from now on; the previous image goes with its last
   * reader. An overlay of the image already read keeps its view (and the view's memos).
   */
  private adopt(img: ClusterImage): void {
    if (this.closed) return;
    if (img.seq !== this.seq || !this.view) {
      const view = new ImageView(img.buffer, this.o.endpointPodNames);
      view.adopt();
      const old = this.view;
      this.view = view;
      this.seq = img.seq;
      if (old?.adopted) {
        old.release();
        collectSoon();   // its shared memory goes once every thread has collected its handle
      }
    }
    this.backend.index = viewOf(this.view, img.seq, img.overlay, this.o.endpointPodNames);
    if (img.synced) this.gate.markSynced();
  }

  serve(req: Request, next: Next): Result {
    const zone = matchZone(this.o.zones, req.qname);
    if (zone === undefined) return next(req);
    if (!this.gate.open) return this.gate.wait().then(() => this.handler.answer(req, next, zone));
    return this.handler.answer(req, next, zone);
  }

  close(): void {
    this.closed = true;
    this.gate.close();
    this.images?.close();
    this.view?.release();
  }
}
