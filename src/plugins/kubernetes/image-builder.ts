/**
 * ImageBuilder: on the control side, turns the records the source keeps (ClusterIndex with
 * `secondary: false`) into cluster images (cluster-image.ts) for the answering threads.
 * - The first image is built as soon as the source has synced (or when the startup timeout has
 *   passed without it: then the threads answer from what is known, as CoreDNS does).
 * - After that, changes are coalesced: the first change after a quiet spell is built after
 *   FIRST_DELAY_MS (a watch event often comes with its EndpointSlice a moment later); while
 *   changes keep coming, a build starts at least twice the last build's time (within MIN_GAP_MS
 *   and MAX_GAP_MS) after the previous one started, and REST_MS after it ended (the control
 *   thread must still read its watches): small clusters get their changes out in tens of
 *   milliseconds; at 10,000 Services / 100,000 endpoints (a build ~50 ms on an idle core) it is
 *   one build per ~100 ms. An image holds a change within about one gap plus one build; the
 *   overlay (below) makes it answerable within milliseconds.
 * - Dropped images are shared memory that goes once every thread has collected its handle:
 *   collectSoon() (src/plugin/collect.ts) asks for a collection soon after each new image, here and in the answering threads.
 * - Between images, the changes since the last build go out as an overlay (overlay.ts): the
 *   current records of every changed key, read from the live index, tagged with the image's
 *   sequence number and published on the same channel as the image (a ClusterImage carrying
 *   `overlay`), at most one per OVERLAY_GAP_MS (longer after a large one). One value for both means a thread can never pair
 *   an overlay with another image, and a thread that starts late gets the image and its overlay
 *   at once. Past the overlay's bound, nothing more goes out until the next image.
 * - While overlays carry the changes, images are built at most once per OVERLAY_IMAGE_GAP_MS
 *   (the overlay stays small and bounded meanwhile); past the bound, at the gaps above again.
 * - coredns_kubernetes_dns_programming_duration_seconds is observed when the overlay or image
 *   holding the change is handed to the answering threads, not when the control side first hears of it.
 * The builder lives with the shared source (shared-source.ts), so generations that share a
 * source share its images; each generation's plugin publishes them to its own threads.
 */
import { Gauge } from 'prom-client';
import { registry } from '../../metrics/registry.ts';
import { H_READERS, Scratch, buildImage } from './cluster-image.ts';
import { collectSoon } from '../../plugin/collect.ts';
import type { ClusterIndex } from './cluster-index.ts';
import { programmingDuration } from './metrics.ts';
import { OverlayTracker, type ClusterOverlay } from './overlay.ts';
import type { Delta, Rec } from './records.ts';

export const FIRST_DELAY_MS = 5;
export const MIN_GAP_MS = 20;
export const MAX_GAP_MS = 100;
export const REST_MS = 20;
/**
 * At most one overlay per OVERLAY_GAP_MS, plus OVERLAY_GAP_PER_KEY_MS for each key the last one
 * carried (changes arriving meanwhile go out together): every overlay is the whole set of changes
 * since the image, copied to every answering thread, so while many changes keep coming (up to
 * OVERLAY_MAX_KEYS: 53 ms) they go out less often instead of costing the threads ever more copying.
 */
export const OVERLAY_GAP_MS = 3;
export const OVERLAY_GAP_PER_KEY_MS = 0.05;
/**
 * While overlays carry the changes, at most one image per this many ms: a build (~50 ms at
 * 10,000 Services) holds the control thread, and a watch event that arrives meanwhile waits for it.
 */
export const OVERLAY_IMAGE_GAP_MS = 1000;
const MAX_PROGRAMMED = 100_000;

/**
 * What the control side publishes to the answering threads (replicated<ClusterImage>): the image
 * (`seq` counts the builds of its builder), and the changes since it was built, if any.
 */
export interface ClusterImage { buffer: SharedArrayBuffer; synced: boolean; seq: number; overlay?: ClusterOverlay }

const live = new Set<ImageBuilder>();

/** Tests only: while held, changes build no image (only overlays go out), so a test can tell them apart. */
let held = false;

/** Tests only: hold image builds back (true) or let them go again (false). */
export function holdImagesForTest(hold: boolean): void {
  held = hold;
  if (!hold) for (const b of live) b.resume();
}

/** Tests only: images built so far by the live builders. */
export function imageBuildsForTest(): number {
  let n = 0;
  for (const b of live) n += b.builds;
  return n;
}

/** Image size, build time and readers, over the live builders (one per shared source). */
function registerGauges(): void {
  if (registry.getSingleMetric('clusterdns_kubernetes_image_bytes')) return;
  new Gauge({
    name: 'clusterdns_kubernetes_image_bytes', help: 'Size of the current cluster image that the answering threads share.',
    registers: [registry],
    collect() { let n = 0; for (const b of live) n += b.latest?.buffer.byteLength ?? 0; this.set(n); },
  });
  new Gauge({
    name: 'clusterdns_kubernetes_image_build_seconds', help: 'How long the last build of the cluster image took.',
    registers: [registry],
    collect() { let n = 0; for (const b of live) n = Math.max(n, b.lastBuildMs / 1000); this.set(n); },
  });
  new Gauge({
    name: 'clusterdns_kubernetes_image_readers', help: 'Threads reading the current cluster image (counted in the shared image itself).',
    registers: [registry],
    collect() { let n = 0; for (const b of live) n += b.readers(); this.set(n); },
  });
}

export class ImageBuilder {
  /** The last value published: the latest image, with its overlay once one went out. */
  latest: ClusterImage | undefined;
  /** Overlays published so far (for tests and benchmarks). */
  overlays = 0;
  /** Duration of the last build in ms, and builds so far (for logs and benchmarks). */
  lastBuildMs = 0;
  builds = 0;
  private readonly index: ClusterIndex;
  private readonly isSynced: () => boolean;
  private readonly onImage: (img: ClusterImage) => void;
  private readonly metric = programmingDuration();
  private readonly programmed: number[] = [];
  private open = false;
  private dirty = false;
  private lastStart = 0;
  private lastEnd = 0;
  private scratch: Scratch | undefined = new Scratch();
  private timer: NodeJS.Timeout | undefined;
  private readonly tracker = new OverlayTracker();
  private image: ClusterImage | undefined;
  private overlayTimer: NodeJS.Timeout | undefined;
  private lastOverlay = 0;
  private overlayGap = OVERLAY_GAP_MS;
  private stopped = false;

  constructor(index: ClusterIndex, isSynced: () => boolean, onImage: (img: ClusterImage) => void) {
    this.index = index;
    this.isSynced = isSynced;
    this.onImage = onImage;
    registerGauges();
    live.add(this);
  }

  /** The records changed (Feed calls this with each Delta and the record it replaced; the next overlay and image hold them all). */
  changed(d: Delta, prev: Rec | undefined): void {
    this.dirty = true;
    const overflowed = this.tracker.overflowed;
    this.tracker.note(d, prev);
    if (!this.open) return;
    if (this.tracker.overflowed && !overflowed) this.reschedule();
    else this.schedule();
    if (this.image && !this.tracker.overflowed) this.scheduleOverlay();
  }

  /** A change with this last-change-trigger-time (ms) is to be observed once answerable. */
  program(changedMs: number): void {
    if (this.programmed.length < MAX_PROGRAMMED) this.programmed.push(changedMs);   // bounded until the first image
  }

  /** Synced, or the startup timeout passed: build now, and after every change from now on. */
  start(): void {
    if (this.stopped) return;
    const wasOpen = this.open;
    this.open = true;
    if (!wasOpen || this.latest?.synced !== this.isSynced()) this.build();
  }

  /** Threads reading the latest image. */
  readers(): number {
    if (!this.latest) return 0;
    return Atomics.load(new Int32Array(this.latest.buffer, 0, H_READERS + 1), H_READERS);
  }

  stop(): void {
    this.stopped = true;
    this.scratch = undefined;
    if (this.timer) clearTimeout(this.timer);
    if (this.overlayTimer) clearTimeout(this.overlayTimer);
    this.timer = this.overlayTimer = undefined;
    live.delete(this);
  }

  /** Builds may go again (holdImagesForTest(false)). */
  resume(): void {
    if (this.dirty && this.open) this.schedule();
  }

  /** While overlays carry the changes, the next image can wait longer (OVERLAY_IMAGE_GAP_MS). */
  private schedule(): void {
    if (this.timer || this.stopped || held) return;
    const now = Date.now();
    let gap = Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, 2 * this.lastBuildMs));
    if (this.image && !this.tracker.overflowed) gap = Math.max(gap, OVERLAY_IMAGE_GAP_MS);
    const wait = Math.max(FIRST_DELAY_MS, this.lastStart + gap - now, this.lastEnd + REST_MS - now);
    this.timer = setTimeout(() => { this.timer = undefined; if (this.dirty) this.build(); }, wait);
  }

  /** Past the overlay's bound the image carries the changes again: build at the usual gap. */
  private reschedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  private scheduleOverlay(): void {
    if (this.overlayTimer || this.stopped) return;
    const wait = Math.max(0, this.lastOverlay + this.overlayGap - Date.now());
    this.overlayTimer = setTimeout(() => { this.overlayTimer = undefined; this.publishOverlay(); }, wait);
  }

  /** The changes since the last image, to the answering threads (unless past the bound). */
  private publishOverlay(): void {
    if (this.stopped || !this.image) return;
    const overlay = this.tracker.overlay(this.index, this.image.seq);
    if (!overlay) {
      if (this.tracker.overflowed) this.reschedule();   // past the address budget
      return;
    }
    this.lastOverlay = Date.now();
    this.overlayGap = OVERLAY_GAP_MS + OVERLAY_GAP_PER_KEY_MS * this.tracker.size;   // the keys this overlay carries
    this.overlays++;
    this.latest = { ...this.image, overlay };
    this.onImage(this.latest);
    this.observeProgrammed();
  }

  private observeProgrammed(): void {
    const now = Date.now();
    for (const t of this.programmed.splice(0)) this.metric.labels('headless_with_selector').observe(Math.max(0, now - t) / 1000);
  }

  private build(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.overlayTimer) { clearTimeout(this.overlayTimer); this.overlayTimer = undefined; }
    if (this.stopped) return;
    this.dirty = false;
    this.tracker.reset();   // the build is synchronous: the image holds every change noted so far
    this.lastStart = Date.now();
    const { buffer, buildMs } = buildImage(this.index, this.scratch);
    this.lastBuildMs = buildMs;
    this.builds++;
    this.lastEnd = Date.now();
    this.image = this.latest = { buffer, synced: this.isSynced(), seq: this.builds };
    this.onImage(this.latest);
    if (this.builds > 1) collectSoon();   // the previous image's memory goes once every thread has collected it
    this.observeProgrammed();
  }
}
