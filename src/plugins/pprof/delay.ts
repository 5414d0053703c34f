/**
 * `block`: how long this thread's event loop was held up (perf_hooks.monitorEventLoopDelay), the
 * nearest Node has to Go's block profile (goroutines waiting on locks and channels): a thread that
 * is blocked answers nothing, whatever the cause.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export class DelayMonitor {
  private readonly h: ReturnType<typeof monitorEventLoopDelay>;
  private readonly since = new Date();

  /** `resolutionMs`: how often the loop is sampled (the histogram's resolution). */
  constructor(resolutionMs: number) {
    this.h = monitorEventLoopDelay({ resolution: resolutionMs });
    this.h.enable();
  }

  /** A plain-text report: samples and delay percentiles in milliseconds since the plugin started. */
  report(thread: string): string {
    const ms = (ns: number) => (ns / 1e6).toFixed(3);
    const h = this.h;
    const lines = [
      `event loop delay of the ${thread} since ${this.since.toISOString()}`,
      `samples ${h.count}`,
      `min_ms ${ms(h.min)}`, `mean_ms ${ms(h.mean)}`, `stddev_ms ${ms(h.stddev)}`,
      ...[50, 90, 99, 99.9].map((p) => `p${p}_ms ${ms(h.percentile(p))}`),
      `max_ms ${ms(h.max)}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  stop(): void { this.h.disable(); }
}
