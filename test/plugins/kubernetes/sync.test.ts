// Publisher/Subscriber (src/plugins/kubernetes/sync.ts): the control side's cluster view reaches
// each answering thread's ClusterIndex — snapshot for a late joiner, numbered batches after it —
// over the real channel hubs and MessageChannels (structured clone), no server around them.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlHub, DataHub, type Envelope } from '../../../src/server/channels.ts';
import { ClusterIndex } from '../../../src/plugins/kubernetes/cluster-index.ts';
import { Kind, type Delta, type ServiceRec } from '../../../src/plugins/kubernetes/records.ts';
import { Publisher, Subscriber } from '../../../src/plugins/kubernetes/sync.ts';
import { holds, sleep, until } from '../../support/wait.ts';

const closers: (() => void)[] = [];
afterEach(() => { for (const f of closers.splice(0)) f(); });

function svc(name: string, ip: string, rv = '1'): Delta {
  const v: ServiceRec = { ns: 'default', name, rv, type: 'ClusterIP', clusterIPs: [ip], externalName: '', ports: [{ name: 'http', protocol: 'TCP', port: 80 }], selector: true };
  return { k: Kind.Service, key: `${name}.default`, v };
}

/** A control hub and a way to add workers to it (each a DataHub over its own MessageChannel). */
function cluster() {
  const ports = new Set<MessagePort>();
  const control = new ControlHub('g:', ports);
  const worker = (opts: { deliver?: boolean } = {}) => {
    const { port1, port2 } = new MessageChannel();
    closers.push(() => { port1.close(); port2.close(); });
    ports.add(port1);
    port1.on('message', (m: Envelope) => control.receive(m, port1));
    const data = new DataHub('g:', port2);
    port2.on('message', (m: Envelope) => { if (opts.deliver !== false) data.receive(m); });
    return data;
  };
  return { control, worker };
}

function subscribe(hub: DataHub) {
  const index = new ClusterIndex();
  let synced = 0;
  const sub = new Subscriber(hub.open('cluster'), index, () => synced++);
  closers.push(() => sub.close());
  return { index, sub, synced: () => synced };
}

const ips = (index: ClusterIndex) => [...index.services.values()].map((s) => `${s.name}=${s.clusterIPs[0]}`).sort();

describe('kubernetes sync', () => {
  it('a worker that joins late gets a snapshot, then every later batch, in order', async () => {
    const { control, worker } = cluster();
    const source = new ClusterIndex({ secondary: false });
    let synced = false;
    const pub = new Publisher(control.open('cluster'), source, () => synced);
    closers.push(() => pub.close());
    for (const d of [svc('a', '10.96.0.1'), svc('b', '10.96.0.2')]) { source.apply(d); pub.push(d); }
    const w = subscribe(worker());
    expect(await until(() => w.index.services.size === 2)).toBe(true);
    expect(w.synced()).toBe(0);
    synced = true;
    pub.notify();
    expect(await until(() => w.synced() === 1)).toBe(true);
    for (const d of [svc('a', '10.96.0.9', '2'), { k: Kind.Service, key: 'b.default', v: null } as Delta, svc('c', '10.96.0.3')]) { source.apply(d); pub.push(d); }
    expect(await until(() => ips(w.index).join() === 'a=10.96.0.9,c=10.96.0.3')).toBe(true);
    expect(w.index.servicesWithIP('10.96.0.9').map((s) => s.name)).toEqual(['a']);   // the worker's own secondary maps
    expect(w.index.servicesWithIP('10.96.0.1')).toEqual([]);
    expect(w.index.modified).toBe(source.modified);
    expect(w.synced()).toBe(1);
  });

  it('a worker says hello again until the control side listens', async () => {
    const { control, worker } = cluster();
    const w = subscribe(worker());   // no Publisher yet: its first hello is lost
    await sleep(50);   // the first hello goes out now, to nobody
    const source = new ClusterIndex({ secondary: false });
    source.apply(svc('late', '10.96.1.1'));
    const pub = new Publisher(control.open('cluster'), source, () => true);
    closers.push(() => pub.close());
    expect(await until(() => w.index.services.size === 1 && w.synced() === 1, 2000)).toBe(true);
  });

  it('batches that arrive before the snapshot are applied after it, those it already holds are skipped', async () => {
    // Drive the subscriber's channel by hand to order the messages as a busy control thread might.
    const handlers: ((m: unknown) => void)[] = [];
    const sent: unknown[] = [];
    const index = new ClusterIndex();
    const sub = new Subscriber({ send: (m) => sent.push(m), onMessage: (fn) => { handlers.push((m) => fn(m, () => {})); } }, index, () => {});
    closers.push(() => sub.close());
    const deliver = (m: unknown) => { for (const h of handlers) h(structuredClone(m)); };
    expect(sent).toEqual([{ t: 'hello' }]);
    deliver({ t: 'batch', seq: 3, d: [svc('x', '10.0.0.3')], synced: false, modified: 3 });   // already in the snapshot
    deliver({ t: 'batch', seq: 4, d: [svc('y', '10.0.0.4')], synced: true, modified: 4 });
    expect(index.services.size).toBe(0);
    deliver({ t: 'snapshot', seq: 3, d: [svc('x', '10.0.0.30', '2')], synced: false, modified: 3 });
    expect(ips(index)).toEqual(['x=10.0.0.30', 'y=10.0.0.4']);
    expect(sub.synced).toBe(true);
    expect(index.modified).toBe(4);
    deliver({ t: 'snapshot', seq: 9, d: [], synced: true, modified: 9 });   // answer to a repeated hello
    expect(ips(index)).toEqual(['x=10.0.0.30', 'y=10.0.0.4']);
  });

  it('a closed publisher sends nothing more', async () => {
    const { control, worker } = cluster();
    const source = new ClusterIndex({ secondary: false });
    const pub = new Publisher(control.open('cluster'), source, () => true);
    const w = subscribe(worker());
    expect(await until(() => w.synced() === 1)).toBe(true);
    pub.close();
    const d = svc('after', '10.96.9.9');
    source.apply(d);
    pub.push(d);
    pub.notify();
    expect(await holds(() => w.index.services.size === 0, 100)).toBe(true);
  });
});
