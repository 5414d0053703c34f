// Replicated state: the control side publishes, every answering thread reads the latest value —
// over real MessagePorts between the server's own control and data hubs (structured clone, shared
// memory shared), and in one thread.
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../src/server/channels.ts';
import { hubPair } from '../support/hubs.ts';
import { replicated, type Replicated } from '../../src/plugin/replicated.ts';
import { until } from '../support/wait.ts';

const opened: { close(): void }[] = [];
afterEach(() => { for (const x of opened.splice(0)) x.close(); });

/** A control side with workers attached over real MessagePorts (test/support/hubs.ts). */
function cluster() {
  const hubs = hubPair();
  opened.push({ close: () => hubs.close() });
  return { ctx: hubs.control('0/0/p'), worker: () => ({ ctx: hubs.worker('0/0/p') }) };
}

function track<T>(r: Replicated<T>): Replicated<T> { opened.push(r as Replicated<unknown>); return r; }

describe('replicated', () => {
  it('in one thread, publish sets the value at once and tells onChange', () => {
    const r = track(replicated<number>({ role: 'single', channel: () => new LoopbackHub().open('x') }, 's'));
    const seen: number[] = [];
    r.onChange((v) => seen.push(v));
    expect(r.writer).toBe(true);
    expect(r.value).toBeUndefined();
    r.publish(1);
    r.publish(2);
    expect(r.value).toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it('a reader cannot publish', () => {
    const c = cluster();
    const r = track(replicated<number>(c.worker().ctx, 's'));
    expect(r.writer).toBe(false);
    expect(() => r.publish(1)).toThrow(/writer/);
  });

  it('workers present at publish get every value in order; one that starts later gets the latest', async () => {
    const c = cluster();
    const w = track(replicated<{ n: number }>(c.worker().ctx, 's'));
    const seen: number[] = [];
    w.onChange((v) => seen.push(v.n));
    const ctl = track(replicated<{ n: number }>(c.ctx, 's'));
    for (let n = 1; n <= 5; n++) ctl.publish({ n });
    expect(await until(() => w.value?.n === 5)).toBe(true);
    // The hello a worker sends at start may be answered with a value it then also gets as a
    // broadcast: each value is applied once, never an older one after a newer.
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(5);
    const late = track(replicated<{ n: number }>(c.worker().ctx, 's'));
    expect(await until(() => late.value?.n === 5)).toBe(true);
  });

  it('a worker that asks before the control side listens still gets the value', async () => {
    const c = cluster();
    const w = track(replicated<string>(c.worker().ctx, 'early'));
    await new Promise((r) => setTimeout(r, 50));      // its first hello went to nobody
    const ctl = track(replicated<string>(c.ctx, 'early'));
    ctl.publish('v1');
    expect(await until(() => w.value === 'v1')).toBe(true);
    // Asking again (after a missed broadcast) is answered with the latest.
    const w2 = track(replicated<string>(c.worker().ctx, 'early'));
    expect(await until(() => w2.value === 'v1')).toBe(true);
  });

  it('shared memory in the value is shared, not copied: one copy for every thread', async () => {
    const c = cluster();
    const w = track(replicated<{ mem: SharedArrayBuffer }>(c.worker().ctx, 'mem'));
    const ctl = track(replicated<{ mem: SharedArrayBuffer }>(c.ctx, 'mem'));
    const mem = new SharedArrayBuffer(16);
    ctl.publish({ mem });
    expect(await until(() => w.value !== undefined)).toBe(true);
    new Int32Array(mem)[0] = 42;                       // written after it was sent
    expect(new Int32Array(w.value!.mem)[0]).toBe(42);
  });

  it('values of two names do not mix', async () => {
    const c = cluster();
    const wa = track(replicated<string>(c.worker().ctx, 'a'));
    const wb = track(replicated<string>(c.worker().ctx, 'b'));
    const a = track(replicated<string>(c.ctx, 'a'));
    const b = track(replicated<string>(c.ctx, 'b'));
    a.publish('A');
    b.publish('B');
    expect(await until(() => wa.value === 'A' && wb.value === 'B')).toBe(true);
  });
});
