/**
 * Feed: where a source (API reflectors or manifest files) hands over what it sees. It turns
 * upserts, deletions and full relists into Deltas — skipping records that did not change, and
 * deleting what a relist no longer contains (so a 410 relist leaves no gap in answers) — applies
 * them to the local ClusterIndex, and passes them on (to the data-side workers, if any).
 * It also records the DNS programming duration metric and tracks when every kind has synced.
 */
import type { ClusterIndex } from './cluster-index.ts';
import { Kind, isHeadless, keyOf, serviceKey } from './records.ts';
import type { Delta, Rec, SliceRec } from './records.ts';
import { programmingDuration } from './metrics.ts';

export class Feed {
  private readonly index: ClusterIndex;
  private readonly out: ((d: Delta) => void) | undefined;
  private readonly pending: Set<Kind>;
  private readonly onSynced: () => void;
  private readonly metric = programmingDuration();
  synced = false;

  /** `kinds`: the kinds that must list once before the data counts as synced. */
  constructor(index: ClusterIndex, kinds: Kind[], onSynced: () => void, out?: (d: Delta) => void) {
    this.index = index;
    this.out = out;
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
    const prev = d.k === Kind.Slice ? (this.index.get(Kind.Slice, d.key) as SliceRec | undefined) : undefined;
    this.index.apply(d);
    this.out?.(d);
    if (d.k === Kind.Slice) this.observe((d.v as SliceRec | null) ?? prev);
  }

  private observe(s: SliceRec | undefined): void {
    if (!s || s.changed === 0) return;
    const svc = this.index.services.get(serviceKey(s.service, s.ns));
    if (!svc || !isHeadless(svc)) return;
    this.metric.labels('headless_with_selector').observe(Math.max(0, Date.now() - s.changed) / 1000);
  }
}
