// The up-channel: answering threads report to the control side, typed — over real MessagePorts
// between the server's own control and data hubs, between two parts in one thread, and in a
// plugin set up alike everywhere in one thread.
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../src/server/channels.ts';
import { hubPair } from '../support/hubs.ts';
import { reporter } from '../../src/plugin/reporter.ts';
import { replicated } from '../../src/plugin/replicated.ts';
import { until } from '../support/wait.ts';

const opened: { close(): void }[] = [];
afterEach(() => { for (const x of opened.splice(0)) x.close(); });

interface Sighting { from: string; n: number }

describe('reporter', () => {
  it('reports of several workers reach the control side over MessagePorts, each worker in order', async () => {
    const hubs = hubPair();
    opened.push(hubs);
    const worker = () => reporter<Sighting>(hubs.worker('0/0/loop'), 'seen');
    const ctl = reporter<Sighting>(hubs.control('0/0/loop'), 'seen');
    const got: Sighting[] = [];
    ctl.onReport((s) => got.push(s));
    const [a, b] = [worker(), worker()];
    for (let n = 1; n <= 3; n++) { a.report({ from: 'a', n }); b.report({ from: 'b', n }); }
    expect(await until(() => got.length === 6)).toBe(true);
    expect(got.filter((s) => s.from === 'a').map((s) => s.n)).toEqual([1, 2, 3]);
    expect(got.filter((s) => s.from === 'b').map((s) => s.n)).toEqual([1, 2, 3]);
    expect(() => a.onReport(() => {})).toThrow(/control side/);
    expect(() => ctl.report({ from: 'c', n: 0 })).toThrow(/answering side/);
  });

  it('two parts in one thread talk as across threads: reports go up, replicated state comes down', async () => {
    const hub = new LoopbackHub();
    const ctx = (side: 'control' | 'answering') => ({ role: 'single' as const, side, channel: (n: string) => hub.open(`0/0/p/${n}`) });
    const up = reporter<Sighting>(ctx('control'), 'seen');
    const down = replicated<number>(ctx('control'), 'count');
    const got: Sighting[] = [];
    up.onReport((s) => { got.push(s); down.publish(got.length); });
    const report = reporter<Sighting>(ctx('answering'), 'seen');
    const state = replicated<number>(ctx('answering'), 'count');
    expect(state.writer).toBe(false);
    report.report({ from: 'here', n: 1 });
    report.report({ from: 'here', n: 2 });
    expect(await until(() => state.value === 2)).toBe(true);
    expect(got.map((s) => s.n)).toEqual([1, 2]);
    state.close(); down.close();
  });

  it('a plugin set up alike everywhere, in one thread, gets its own reports at once', () => {
    const r = reporter<number>({ role: 'single', channel: () => { throw new Error('no channel needed'); } }, 'x');
    const got: number[] = [];
    r.onReport((v) => got.push(v));
    r.report(7);
    expect(got).toEqual([7]);
    r.close();
    r.report(8);
    expect(got).toEqual([7]);
  });
});
