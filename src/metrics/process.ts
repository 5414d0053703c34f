/**
 * The process metrics every Prometheus exporter has (process_start_time_seconds, CPU, memory,
 * file descriptors — what CoreDNS's Go process collector exports and dashboards use for uptime,
 * restart, memory and CPU panels), plus Node's own (nodejs_*), from prom-client's default
 * collectors. They describe the whole process, so the control thread alone collects them, once.
 *
 * Two things are changed from prom-client's defaults so the values are the process's:
 * - With worker threads, /metrics merges every thread's registry with prom-client's aggregator,
 *   which sums by default and drops process_start_time_seconds altogether (its aggregator is
 *   "omit"). Each of these metrics is marked "first" instead: the control thread's value (its
 *   registry comes first), never added up over threads.
 * - prom-client's CPU counters count from the moment they were registered (the prometheus plugin's
 *   start), so the CPU of the start-up itself was missing. These report the process's total since
 *   it started (getrusage through process.cpuUsage(), every thread included), as Go's collector
 *   reads it from /proc.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';
import { Counter, type Registry } from './prom.ts';

// From its lib/ file, as src/metrics/prom.ts loads the others (prom-client's index loads node:http).
const collectDefaultMetrics = createRequire(import.meta.url)('prom-client/lib/defaultMetrics.js') as typeof Prom.collectDefaultMetrics;

const on = new WeakSet<Registry>();

const CPU = [
  { name: 'process_cpu_user_seconds_total', help: 'Total user CPU time spent in seconds.', of: (u: NodeJS.CpuUsage) => u.user },
  { name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', of: (u: NodeJS.CpuUsage) => u.system },
  { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', of: (u: NodeJS.CpuUsage) => u.user + u.system },
];

export function collectProcessMetrics(registry: Registry): void {
  if (on.has(registry)) return;
  on.add(registry);
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
  collectDefaultMetrics({ register: registry });
  for (const c of CPU) {
    registry.removeSingleMetric(c.name);
    new Counter({
      name: c.name, help: c.help, registers: [registry],
      collect() { this.reset(); this.inc(c.of(process.cpuUsage()) / 1e6); },
    });
  }
  for (const m of registry.getMetricsAsArray()) {
    if (!before.has(m.name)) (m as unknown as { aggregator: string }).aggregator = 'first';
  }
}
