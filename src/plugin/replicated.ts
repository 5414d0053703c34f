/**
 * Replicated state: one value that the control side (the thread that runs informers, file
 * watchers, probes) publishes and every answering thread reads — the SDK's answer to "how does my
 * state reach the threads that answer queries?". A plugin never branches on ctx.role for this.
 * With declared parts (src/plugin/parts.ts) each part asks for the same name:
 *
 *   control(cfg, ctx)   { const state = replicated<MyState>(ctx, 'state'); source.on('change', (v) => state.publish(v)); ... }
 *   answering(cfg, ctx) { const state = replicated<MyState>(ctx, 'state'); ... serve(req) { const v = state.value; ... } }
 *
 * Plugins declare their parts rather than asking `state.writer` (test/plugin/boundaries.test.ts);
 * `writer` is for the SDK and tests.
 *
 * - The latest value wins: each publish replaces the whole value (no deltas to replay). Publish
 *   something cheap to send: a SharedArrayBuffer inside the value is shared, not copied, so a
 *   large index built once into shared memory costs one copy for all threads.
 * - In one thread ('single') publish sets `value` at once; with worker threads each worker gets
 *   the value over the plugin's channel, in publish order, and a worker that starts (or replaces a
 *   dead one) after a publish asks for the latest and gets it: no worker stays behind.
 * - onChange(fn) runs fn with each new value in the thread that reads it (also in the writer).
 *
 * - When both parts live in one thread (a single-threaded server), the value still goes over the
 *   plugin's channel (delivered in this thread), so the parts behave as they do across threads.
 *
 * Built only on SetupContext.channel(), role and side, so it works the same in tests, in a single
 * thread and across workers.
 */
import type { Channel } from './contract.ts';
import { endOf, typedChannel, type Ends } from './ends.ts';

type Msg<T> = { t: 'hello' } | { t: 'value'; seq: number; v: T };

const HELLO_MS = 200;

export class Replicated<T> {
  /** True where the value is produced (the control or single thread): only there may publish() be called. */
  readonly writer: boolean;
  private readonly channel: Channel<Msg<T>, Msg<T>> | undefined;
  private readonly listeners: ((v: T) => void)[] = [];
  private current: T | undefined;
  private seq = 0;
  private hello: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(ctx: Ends, name: string) {
    const end = endOf(ctx);
    this.writer = end.upstream;
    if (end.alone) return;      // reader and writer are this one object: nothing to send
    const ch = typedChannel<Msg<T>, Msg<T>>(ctx, `replicated/${name}`);
    this.channel = ch;
    if (this.writer) {
      ch.onMessage((m, reply) => {
        if (m?.t === 'hello' && this.seq > 0 && !this.closed) reply({ t: 'value', seq: this.seq, v: this.current as T });
      });
      return;
    }
    ch.onMessage((msg) => {
      if (msg?.t !== 'value' || msg.seq <= this.seq || this.closed) return;
      this.stopHello();
      this.seq = msg.seq;
      this.set(msg.v);
    });
    // Ask for the latest value until one arrives: the control side may not listen yet.
    const sayHello = () => ch.send({ t: 'hello' });
    sayHello();
    this.hello = setInterval(sayHello, HELLO_MS);
    this.hello.unref();
  }

  /** The latest value this thread has, or undefined before the first one arrives. */
  get value(): T | undefined { return this.current; }

  /** Whether a value has arrived (or been published) in this thread. */
  get has(): boolean { return this.seq > 0 || (this.writer && this.current !== undefined); }

  /** Replace the value everywhere (writer only). `v` must be structured-clonable. */
  publish(v: T): void {
    if (!this.writer) throw new Error('replicated: publish() is for the writer (control) side only');
    if (this.closed) return;
    this.seq++;
    this.set(v);
    this.channel?.send({ t: 'value', seq: this.seq, v });
  }

  /** Run fn with every new value in this thread, from the next one on. */
  onChange(fn: (v: T) => void): void { this.listeners.push(fn); }

  /** Stop asking and listening (on the plugin's close). */
  close(): void {
    this.closed = true;
    this.stopHello();
    this.listeners.length = 0;
  }

  private set(v: T): void {
    this.current = v;
    for (const fn of this.listeners) fn(v);
  }

  private stopHello(): void {
    if (this.hello) clearInterval(this.hello);
    this.hello = undefined;
  }
}

/** The replicated value `name` of this plugin instance (see the module comment). */
export function replicated<T>(ctx: Ends, name: string): Replicated<T> {
  return new Replicated<T>(ctx, name);
}
