/**
 * The up-direction of the SDK: answering threads report to the control side (loop's probe
 * sightings), typed, without a plugin touching a channel. The mirror of replicated(), which goes
 * the other way:
 *
 *   answering(cfg, ctx) { const seen = reporter<Sighting>(ctx, 'seen'); ... seen.report({ remote, local }); }
 *   control(cfg, ctx)   { reporter<Sighting>(ctx, 'seen').onReport((s) => count(s)); }
 *
 * Reports arrive in the order one thread sent them; reports of different threads interleave. A
 * report must be structured-clonable. In a single-threaded server they go through the plugin's
 * channel too (delivered in this thread, after the current task), so both parts behave as they do
 * across threads; a plugin set up alike everywhere (no parts) in one thread gets them at once.
 */
import type { Channel } from './contract.ts';
import { endOf, typedChannel, type Ends } from './ends.ts';

export class Reporter<T> {
  /** True on the side that receives the reports (the control part). */
  readonly receiver: boolean;
  private readonly channel: Channel<T, T> | undefined;
  private readonly listeners: ((v: T) => void)[] = [];
  private closed = false;

  constructor(ctx: Ends, name: string) {
    const end = endOf(ctx);
    this.receiver = end.upstream;
    if (end.alone) return;
    this.channel = typedChannel<T, T>(ctx, `reports/${name}`);
    if (this.receiver) this.channel.onMessage((v) => this.deliver(v));
  }

  /** Send `v` to the control side (from an answering part). */
  report(v: T): void {
    if (this.closed) return;
    if (!this.channel) { this.deliver(v); return; }
    if (this.receiver) throw new Error('reporter: report() is for the answering side');
    this.channel.send(v);
  }

  /** Run fn with each report (on the control side). */
  onReport(fn: (v: T) => void): void {
    if (!this.receiver) throw new Error('reporter: onReport() is for the control side');
    this.listeners.push(fn);
  }

  close(): void {
    this.closed = true;
    this.listeners.length = 0;
  }

  private deliver(v: T): void {
    if (this.closed) return;
    for (const fn of this.listeners) fn(v);
  }
}

/** The reports `name` of this plugin instance (see the module comment). */
export function reporter<T>(ctx: Ends, name: string): Reporter<T> {
  return new Reporter<T>(ctx, name);
}
