/**
 * A check that runs every interval, one at a time: the shape of every plugin that re-reads a file
 * on a `reload` interval (hosts, file). A subclass says what one check does (`doCheck`, which must
 * not throw); this class runs it on an unref'd timer, lets overlapping calls share the running
 * one (a slow read is never started twice), and on stop waits for the one in flight.
 */
export abstract class PeriodicCheck {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  /** One check; never throws. */
  protected abstract doCheck(): Promise<void>;

  /** Run one check now (the timer calls this; tests may too); overlapping calls share the one running. */
  check(): Promise<void> {
    this.running ??= this.doCheck().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Check every `intervalMs` (0 or less: never), until stop(). */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => { void this.check(); }, intervalMs);
    this.timer.unref();
  }

  /** No more checks; resolves once the one in flight (if any) is done. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
