/**
 * Feed: where a source (API reflectors or manifest files) hands over what it sees. It turns
 * upserts, deletions and full relists into Deltas — skipping records that did not change, and
 * deleting what a relist no longer contains (so a 410 relist leaves no gap in answers) — applies
 * them to its ClusterIndex, and tells `images.changed` (the control side's image builder, if any)
 * each Delta with the record it replaced.
 * It also tracks when every kind has synced, and finds the changes that the DNS programming
 * duration metric measures: observed at once where this index answers queries (one thread), or
 * handed to `images.program` (the builder observes them when the image holding them is published).
 */
import type { ClusterIndex } from './cluster-index.ts';
import { Kind, isHeadless, keyOf, serviceKey } from './records.ts';
import type { Delta, Rec, SliceRec } from './records.ts';
import { programmingDuration } from './metrics.ts';

/** Who hears of each applied change, and of the changes the programming-duration metric measures. */
export interface FeedListener { changed(d: Delta, prev: Rec | undefined): void; program(changedMs: number): void }

export class Feed {
  private readonly index: ClusterIndex;
  private readonly changed: ((d: Delta, prev: Rec | undefined) => void) | undefined;
  private readonly program: (changedMs: number) => void;
  private readonly pending: Set<Kind>;
  private readonly onSynced: () => void;
  private readonly metric = programmingDuration();
  synced = false;

  /** `kinds`: the kinds that must list once before the data counts as synced. */
  constructor(index: ClusterIndex, kinds: Kind[], onSynced: () => void, images?: FeedListener) {
    this.index = index;
    this.changed = images ? (d, prev) => images.changed(d, prev) : undefined;
    this.program = images
      ? (t) => images.program(t)
      : (t) => this.metric.labels('headless_with_selector').observe(Math.max(0, Date.now() - t) / 1000);
    this.pending = new Set(kinds);
    this.onSynced = onSynced;
    if (this.pending.size === 0) this.markSynced();
  }

  upsert(k: Kind, v: Rec): void {
    const key = keyOf(k, v);
    const old = this.index.get(k, key);
    if (old && old.rv === v.rv && v.rv !== '') return;
    this.emit({ k, key, v });
  }

  remove(k: Kind, key: string): void {
    if (this.index.get(k, key) === undefined) return;
    this.emit({ k, key, v: null });
  }

  /** A complete list of one kind: upsert each, delete every record the list no longer has. */
  replace(k: Kind, recs: Rec[]): void {
    const fresh = new Set<string>();
    for (const r of recs) fresh.add(keyOf(k, r));
    const gone: string[] = [];
    for (const key of this.index.keys(k)) if (!fresh.has(key)) gone.push(key);
    for (const key of gone) this.remove(k, key);
    for (const r of recs) this.upsert(k, r);
    this.listed(k);
  }

  /** One kind finished its first complete list. */
  listed(k: Kind): void {
    if (!this.pending.delete(k) || this.pending.size > 0 || this.synced) return;
    this.markSynced();
  }

  private markSynced(): void {
    this.synced = true;
    this.onSynced();
  }

  private emit(d: Delta): void {
    const prev = this.index.get(d.k, d.key);
    this.index.apply(d);
    this.changed?.(d, prev);
    if (d.k === Kind.Slice) this.observe((d.v as SliceRec | null) ?? (prev as SliceRec | undefined));
  }

  private observe(s: SliceRec | undefined): void {
    if (!s || s.changed === 0) return;
    const svc = this.index.services.get(serviceKey(s.service, s.ns));
    if (!svc || !isHeadless(svc)) return;
    this.program(s.changed);
  }
}
