/**
 * Counters and histograms for the per-query path. prom-client hashes the label object on every
 * inc/observe (sorting and joining the label values), which on one worker cost a third of the
 * server's throughput once the prometheus plugin recorded six metrics per answer. Here the caller
 * holds the series object for a label combination and bumps plain numbers; the metrics register in
 * the same prom-client registry and export through its `get()` contract with the same values and
 * shape as prom-client's own Counter and Histogram (text, JSON and the worker aggregation unchanged).
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface Value { value: number; labels: Record<string, string | number>; metricName?: string; exemplar?: null }

export interface CounterSeries { readonly labels: Labels; value: number }
export interface HistogramSeries { readonly labels: Labels; readonly counts: Float64Array; sum: number; count: number }

export class SeriesCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly all = new Map<string, CounterSeries>();
  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name; this.help = help; this.labelNames = labelNames;
  }
  /** The series for `labels`, found by `key` (any string unique to that label combination). */
  series(key: string, labels: Labels): CounterSeries {
    let s = this.all.get(key);
    if (!s) { s = { labels, value: 0 }; this.all.set(key, s); }
    return s;
  }
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = [];
    for (const s of this.all.values()) values.push({ value: s.value, labels: { ...s.labels } });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  /** Zero every series in place (callers keep their series objects). */
  reset(): void { for (const s of this.all.values()) s.value = 0; }
}

export class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly upperBounds: readonly number[];
  private readonly all = new Map<string, HistogramSeries>();
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    this.name = name; this.help = help; this.labelNames = labelNames; this.upperBounds = buckets;
  }
  series(key: string, labels: Labels): HistogramSeries {
    let s = this.all.get(key);
    if (!s) { s = { labels, counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0 }; this.all.set(key, s); }
    return s;
  }
  observe(s: HistogramSeries, v: number): void {
    const b = this.upperBounds;
    for (let i = 0; i < b.length; i++) if (v <= b[i]!) { s.counts[i]!++; break; }
    s.sum += v;
    s.count++;
  }
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.all.values()) {
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ value: acc, labels: { le: this.upperBounds[i]!, ...s.labels }, metricName: bucket, exemplar: null });
      }
      values.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: bucket, exemplar: null });
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  /** Zero every series in place (callers keep their series objects). */
  reset(): void { for (const s of this.all.values()) { s.counts.fill(0); s.sum = 0; s.count = 0; } }
}

/** The metric registered under `make().name`, registering it first if needed (reloads re-run setup). */
export function registered<M extends SeriesCounter | SeriesHistogram>(registry: Registry, make: () => M): M {
  const m = make();
  const existing = registry.getSingleMetric(m.name);
  if (existing) return existing as unknown as M;
  registry.registerMetric(m as never);
  return m;
}
