// Channels between the control thread and the answering threads (src/server/channels.ts), over
// real MessageChannels (structured clone, asynchronous delivery), with no server around them.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlHub, DataHub, LoopbackHub, type Envelope } from '../../src/server/channels.ts';
import { until } from '../support/wait.ts';

const open: MessagePort[] = [];
afterEach(() => { for (const p of open.splice(0)) p.close(); });

/** A control hub with `n` workers, each a DataHub at the far end of its own MessageChannel. */
function wire(n: number, prefix = 'g1:') {
  const ports = new Set<MessagePort>();
  const control = new ControlHub(prefix, ports);
  const workers = Array.from({ length: n }, () => {
    const { port1, port2 } = new MessageChannel();
    open.push(port1, port2);
    ports.add(port1);
    port1.on('message', (m: Envelope) => control.receive(m, port1));
    const data = new DataHub(prefix, port2);
    port2.on('message', (m: Envelope) => data.receive(m));
    return data;
  });
  return { control, workers };
}

describe('ControlHub / DataHub', () => {
  it('control broadcasts to every worker; a worker reaches the control side; a reply goes to the asker only', async () => {
    const { control, workers } = wire(2);
    const c = control.open('0/1/kubernetes/cluster');
    const got: unknown[][] = [[], []];
    const ws = workers.map((w, i) => { const ch = w.open('0/1/kubernetes/cluster'); ch.onMessage((m) => got[i]!.push(m)); return ch; });
    c.onMessage((m, reply) => reply({ echo: m }));
    c.send({ n: 1, nested: { list: [1, 2] } });
    expect(await until(() => got.every((g) => g.length === 1))).toBe(true);
    expect(got).toEqual([[{ n: 1, nested: { list: [1, 2] } }], [{ n: 1, nested: { list: [1, 2] } }]]);
    ws[1]!.send('hello from 1');
    expect(await until(() => got[1]!.length === 2)).toBe(true);
    expect(got[1]![1]).toEqual({ echo: 'hello from 1' });
    // A broadcast after the reply: a port delivers in order, so a reply sent to worker 0 too would come first.
    c.send('marker');
    expect(await until(() => got[0]!.length >= 2)).toBe(true);
    expect(got[0]).toEqual([{ n: 1, nested: { list: [1, 2] } }, 'marker']);
  });

  it('keys scope a channel to one plugin instance and one generation', async () => {
    const ports = new Set<MessagePort>();
    const { port1, port2 } = new MessageChannel();
    open.push(port1, port2);
    ports.add(port1);
    const oldGen = new ControlHub('g1:', ports);
    const newGen = new ControlHub('g2:', ports);
    const data = new DataHub('g2:', port2);
    port2.on('message', (m: Envelope) => data.receive(m));
    const seen: string[] = [];
    data.open('0/0/loop/probe').onMessage((m) => seen.push(`probe:${String(m)}`));
    data.open('0/1/loop/probe').onMessage((m) => seen.push(`other:${String(m)}`));
    oldGen.open('0/0/loop/probe').send('old');
    newGen.open('0/0/loop/probe').send('new');
    // one port, in order: had the old generation's message been delivered, it would be first
    expect(await until(() => seen.length >= 1)).toBe(true);
    expect(seen).toEqual(['probe:new']);
  });

  it('a message for a key nobody opened is dropped', () => {
    const { control } = wire(1);
    expect(() => control.receive({ t: 'ch', key: 'g1:none', msg: 1 }, { postMessage() { throw new Error('no reply expected'); } })).not.toThrow();
  });
});

describe('LoopbackHub (one thread)', () => {
  it('delivers after the current turn to every handler of the key, and reply loops back', async () => {
    const hub = new LoopbackHub();
    const a = hub.open('k');
    const seen: unknown[] = [];
    a.onMessage((m, reply) => { seen.push(m); if (m === 'ping') reply('pong'); });
    hub.open('other').onMessage((m) => seen.push(`other:${String(m)}`));
    a.send('ping');
    expect(seen).toEqual([]);           // not synchronous: a sender never re-enters itself
    expect(await until(() => seen.length === 2)).toBe(true);
    expect(seen).toEqual(['ping', 'pong']);
  });
});
