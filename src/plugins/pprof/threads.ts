/**
 * Profiles of worker threads, asked for by the main thread over the plugin's channel. Each worker
 * answers for itself (its own isolate): who it is, a CPU profile, a heap snapshot in chunks, its
 * event-loop delay. The main thread keeps the requests in flight by id and hands each answer to
 * the HTTP request that asked.
 */
import { threadId } from 'node:worker_threads';
import { PassThrough, type Readable } from 'node:stream';
import type { Channel } from '../../plugin/contract.ts';
import { cpuProfile, heapSnapshot, ProfileBusy } from './profile.ts';
import type { DelayMonitor } from './delay.ts';

export type Ask =
  | { op: 'who'; id: number }
  | { op: 'profile'; id: number; thread: number; seconds: number }
  | { op: 'heap'; id: number; thread: number }
  | { op: 'block'; id: number; thread: number };

export type Answer =
  | { op: 'me'; id: number; thread: number }
  | { op: 'profile'; id: number; json?: string; busy?: boolean; error?: string }
  | { op: 'chunk'; id: number; data: Uint8Array }
  | { op: 'end'; id: number; error?: string }
  | { op: 'block'; id: number; text: string };

/** The worker side: answer the main thread's asks that name this thread. */
export function answerAsks(ch: Channel<Answer, Ask>, delay: DelayMonitor | undefined): void {
  ch.onMessage((m, reply) => {
    if (m.op === 'who') { reply({ op: 'me', id: m.id, thread: threadId } satisfies Answer); return; }
    if (m.thread !== threadId) return;
    if (m.op === 'profile') {
      cpuProfile(m.seconds).then(
        (json) => reply({ op: 'profile', id: m.id, json } satisfies Answer),
        (e: unknown) => reply({ op: 'profile', id: m.id, busy: e instanceof ProfileBusy, error: String((e as Error).message) } satisfies Answer),
      );
    } else if (m.op === 'heap') {
      const s = heapSnapshot();
      s.on('data', (c: Buffer) => reply({ op: 'chunk', id: m.id, data: new Uint8Array(c) } satisfies Answer));
      s.on('end', () => reply({ op: 'end', id: m.id } satisfies Answer));
      s.on('error', (e) => reply({ op: 'end', id: m.id, error: e.message } satisfies Answer));
    } else if (m.op === 'block') {
      reply({ op: 'block', id: m.id, text: delay ? delay.report(`worker thread ${threadId}`) : 'block profiling is off\n' } satisfies Answer);
    }
  });
}

/** The main thread's side: ask workers and wait for their answers. */
export class WorkerProfiles {
  private readonly ch: Channel<Ask, Answer>;
  private nextId = 1;
  private readonly pending = new Map<number, (a: Answer) => void>();

  constructor(ch: Channel<Ask, Answer>) {
    this.ch = ch;
    ch.onMessage((a) => { this.pending.get(a.id)?.(a); });
  }

  /**
   * The thread ids of the answering threads that answer within `ms` — with a single-threaded
   * server, the answering part in this very thread answers too (with this thread's id).
   */
  async threads(ms = 300): Promise<number[]> {
    const id = this.nextId++;
    const seen: number[] = [];
    this.pending.set(id, (a) => { if (a.op === 'me') seen.push(a.thread); });
    this.ch.send({ op: 'who', id } satisfies Ask);
    await new Promise((r) => setTimeout(r, ms));
    this.pending.delete(id);
    return seen.sort((x, y) => x - y);
  }

  /** A CPU profile of worker `thread`; undefined when it does not answer in time. */
  profile(thread: number, seconds: number): Promise<Extract<Answer, { op: 'profile' }> | undefined> {
    return this.once(thread, { op: 'profile', id: 0, thread, seconds }, seconds * 1000 + 15_000) as Promise<Extract<Answer, { op: 'profile' }> | undefined>;
  }

  block(thread: number): Promise<Extract<Answer, { op: 'block' }> | undefined> {
    return this.once(thread, { op: 'block', id: 0, thread }, 3_000) as Promise<Extract<Answer, { op: 'block' }> | undefined>;
  }

  /** A heap snapshot of worker `thread`, streamed; the stream fails when the worker stops answering for 60 s. */
  heap(thread: number): Readable {
    const id = this.nextId++;
    const out = new PassThrough();
    let timer: NodeJS.Timeout;
    const idle = () => { clearTimeout(timer); timer = setTimeout(() => done(new Error(`worker thread ${thread} did not answer`)), 60_000); };
    const done = (e?: Error) => { clearTimeout(timer); this.pending.delete(id); if (e) out.destroy(e); else out.end(); };
    this.pending.set(id, (a) => {
      if (a.op === 'chunk') { idle(); out.write(Buffer.from(a.data)); } else if (a.op === 'end') done(a.error ? new Error(a.error) : undefined);
    });
    idle();
    this.ch.send({ op: 'heap', id, thread } satisfies Ask);
    return out;
  }

  private once(_thread: number, ask: Ask, ms: number): Promise<Answer | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.pending.delete(id); resolve(undefined); }, ms);
      this.pending.set(id, (a) => { clearTimeout(t); this.pending.delete(id); resolve(a); });
      this.ch.send({ ...ask, id });
    });
  }
}
