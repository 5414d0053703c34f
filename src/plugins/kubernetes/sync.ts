/**
 * Shipping the cluster view from the control side (which runs the informers) to the data-side
 * workers (which answer queries), over the plugin's Channel:
 * - the control side batches Deltas and broadcasts them once per event-loop turn, numbered;
 * - a worker says hello (again every 200 ms until answered, in case the control side was not
 *   listening yet); the control side replies with a snapshot of every record and the number
 *   of the last batch it contains; the worker applies the snapshot, then only later batches.
 * Messages are plain arrays and objects (structured clone), never API objects.
 */
import type { Channel } from '../../plugin/contract.ts';
import type { ClusterIndex } from './cluster-index.ts';
import type { Delta } from './records.ts';

interface Batch { t: 'batch'; seq: number; d: Delta[]; synced: boolean; modified: number }
interface Snapshot { t: 'snapshot'; seq: number; d: Delta[]; synced: boolean; modified: number }
interface Hello { t: 'hello' }
type Msg = Batch | Snapshot | Hello;

export class Publisher {
  private readonly channel: Channel;
  private readonly index: ClusterIndex;
  private readonly isSynced: () => boolean;
  private pending: Delta[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private seq = 0;
  private closed = false;

  constructor(channel: Channel, index: ClusterIndex, isSynced: () => boolean) {
    this.channel = channel;
    this.index = index;
    this.isSynced = isSynced;
    channel.onMessage((m, reply) => {
      if ((m as Msg)?.t !== 'hello' || this.closed) return;
      this.flush();
      reply({ t: 'snapshot', seq: this.seq, d: this.index.snapshot(), synced: this.isSynced(), modified: this.index.modified } satisfies Snapshot);
    });
  }

  push(d: Delta): void {
    if (this.closed) return;
    this.pending.push(d);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Tell the workers about a change of state without records (e.g. synced). */
  notify(): void {
    this.scheduled ??= setImmediate(() => this.flush(true));
  }

  private flush(force = false): void {
    if (this.scheduled) { clearImmediate(this.scheduled); this.scheduled = undefined; }
    if (this.closed || (this.pending.length === 0 && !force)) return;
    const d = this.pending;
    this.pending = [];
    this.channel.send({ t: 'batch', seq: ++this.seq, d, synced: this.isSynced(), modified: this.index.modified } satisfies Batch);
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.pending = [];
  }
}

export class Subscriber {
  private readonly index: ClusterIndex;
  private readonly onSynced: () => void;
  private readonly early: Batch[] = [];
  private seq = -1;                       // -1: no snapshot yet
  private hello: NodeJS.Timeout | undefined;
  synced = false;

  constructor(channel: Channel, index: ClusterIndex, onSynced: () => void) {
    this.index = index;
    this.onSynced = onSynced;
    channel.onMessage((m) => this.receive(m as Msg));
    const sayHello = () => channel.send({ t: 'hello' } satisfies Hello);
    sayHello();
    this.hello = setInterval(() => { if (this.seq < 0) sayHello(); }, 200);
    this.hello.unref();
  }

  private receive(m: Msg): void {
    if (m?.t === 'snapshot') {
      if (this.seq >= 0) return;           // a second answer to a repeated hello
      this.stopHello();
      this.index.clear();
      for (const d of m.d) this.index.apply(d);
      this.seq = m.seq;
      this.state(m);
      for (const b of this.early.splice(0)) this.batch(b);
    } else if (m?.t === 'batch') {
      if (this.seq < 0) this.early.push(m);
      else this.batch(m);
    }
  }

  private batch(b: Batch): void {
    if (b.seq <= this.seq) return;
    for (const d of b.d) this.index.apply(d);
    this.seq = b.seq;
    this.state(b);
  }

  private state(m: Batch | Snapshot): void {
    this.index.modified = m.modified;
    if (m.synced && !this.synced) {
      this.synced = true;
      this.onSynced();
    }
  }

  private stopHello(): void {
    if (this.hello) clearInterval(this.hello);
    this.hello = undefined;
  }

  close(): void { this.stopHello(); }
}
