/**
 * The one prom-client registry of this process, and get-or-create helpers for metrics.
 * Plugins are set up again on every reload; the helpers return the metric already registered under
 * a name so a reload never registers twice (prom-client throws on duplicates).
 */
import { Counter, Gauge, Histogram, Registry } from './prom.ts';

export const registry = new Registry();

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames: labelNames as L[], registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames: labelNames as L[], registers: [registry] });
}

export function histogram<L extends string>(
  name: string, help: string, labelNames: readonly L[] = [], buckets?: number[],
): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram<L>({ name, help, labelNames: labelNames as L[], registers: [registry], ...(buckets ? { buckets } : {}) });
}

/** prometheus.ExponentialBuckets(start, factor, count), as CoreDNS's plugin/pkg/metrics uses. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, v = start; i < count; i++, v *= factor) out.push(v);
  return out;
}

/** CoreDNS's plugin.TimeBuckets: exponential from 0.00025 s, factor 2, 16 buckets. */
export const TIME_BUCKETS = exponentialBuckets(0.00025, 2, 16);
/** CoreDNS's plugin.SlimTimeBuckets: exponential from 0.00025 s, factor 10, 5 buckets. */
export const SLIM_TIME_BUCKETS = exponentialBuckets(0.00025, 10, 5);
