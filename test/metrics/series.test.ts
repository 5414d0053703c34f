// The hot-path series metrics export exactly what prom-client's own Counter and Histogram would for
// the same observations: the same text lines, the same JSON, and the same sums when worker
// registries are aggregated.
import { describe, expect, it } from 'vitest';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { registered, SeriesCounter, SeriesHistogram } from '../../src/metrics/series.ts';
import { TIME_BUCKETS } from '../../src/metrics/registry.ts';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const labelSets = [
  { server: 'dns://:53', zone: '.', type: 'A' },
  { server: 'dns://:53', zone: 'cluster.local.', type: 'AAAA' },
  { server: 'dns://127.0.0.1:1053', zone: '.', type: 'other' },
];

function fill(seed: number) {
  const ours = new Registry();
  const theirs = new Registry();
  const h = registered(ours, () => new SeriesHistogram('t_duration_seconds', 'help text', ['server', 'zone', 'type'], TIME_BUCKETS));
  const c = registered(ours, () => new SeriesCounter('t_requests_total', 'help text', ['server', 'zone', 'type']));
  const ph = new Histogram({ name: 't_duration_seconds', help: 'help text', labelNames: ['server', 'zone', 'type'], buckets: TIME_BUCKETS, registers: [theirs] });
  const pc = new Counter({ name: 't_requests_total', help: 'help text', labelNames: ['server', 'zone', 'type'], registers: [theirs] });
  const r = prng(seed);
  for (let i = 0; i < 5000; i++) {
    const l = labelSets[Math.floor(r() * labelSets.length)]!;
    const key = `${l.server}|${l.zone}|${l.type}`;
    const v = r() < 0.02 ? 20 : r() ** 4 * 3; // some beyond the last bucket (+Inf only)
    h.observe(h.series(key, l), v);
    ph.observe(l, v);
    c.series(key, l).value++;
    pc.inc(l);
  }
  return { ours, theirs };
}

describe('series metrics', () => {
  it('print the same text as prom-client for the same observations', async () => {
    const { ours, theirs } = fill(7);
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('t_duration_seconds_bucket{le="+Inf",server="dns://:53",zone=".",type="A"}');
  });

  it('give the same JSON and aggregate across workers like prom-client', async () => {
    const a = fill(1), b = fill(2);
    expect(await a.ours.getMetricsAsJSON()).toEqual(await a.theirs.getMetricsAsJSON());
    type J = Parameters<typeof AggregatorRegistry.aggregate>[0];
    const mergedOurs = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()] as J);
    const mergedTheirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()] as J);
    expect(await mergedOurs.metrics()).toBe(await mergedTheirs.metrics());
  });

  it('register once per name, and reset in place', async () => {
    const reg = new Registry();
    const one = registered(reg, () => new SeriesCounter('t_once_total', 'h', ['x']));
    const s = one.series('a', { x: 'a' });
    s.value = 3;
    expect(registered(reg, () => new SeriesCounter('t_once_total', 'h', ['x']))).toBe(one);
    one.reset();
    expect(s.value).toBe(0);
    s.value++;
    expect(await reg.metrics()).toContain('t_once_total{x="a"} 1');
  });
});
