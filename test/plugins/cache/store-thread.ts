// A thread for store-threads.test.ts: churns or reads a CacheStore in shared memory for a while.
// Bodies say which key and version they are, in every byte, so a copy mixed from two writes shows.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeQuery, questionEnd } from '../../../src/dns/codec.ts';
import { CacheStore, Key, SUCCESS, type Layout, type ReadMode } from '../../../src/plugins/cache/store.ts';

interface Job { mem: SharedArrayBuffer; lay: Layout; caps: [number, number]; mode: ReadMode; role: 'writer' | 'reader'; keys: number; ms: number }
const job = workerData as Job;
const store = new CacheStore(job.mem, job.lay, job.caps, job.mode);

export function keyOf(i: number): Key {
  const wire = encodeQuery(`k${i}.torn.test.`, 1, {});
  const k = new Key();
  k.set(wire, questionEnd(wire), false, false);
  return k.clone();
}
/** Key i, version v: a length and every byte derived from (i, v). */
export function bodyOf(i: number, v: number): Buffer {
  const n = 40 + ((i * 7 + v * 13) % 200);
  const b = Buffer.alloc(n);
  b.writeUInt32BE(i, 0); b.writeUInt32BE(v, 4);
  b.fill((i * 31 + v * 17) & 0xff, 8);
  return b;
}
/** Whether a copied body is one whole write of key i. */
export function whole(i: number, b: Buffer): boolean {
  if (b.length < 8 || b.readUInt32BE(0) !== i) return false;
  const v = b.readUInt32BE(4), want = bodyOf(i, v);
  return want.equals(b);
}

const keys = Array.from({ length: job.keys }, (_, i) => keyOf(i));
const end = Date.now() + job.ms;
let ops = 0, hits = 0, torn = 0;
while (Date.now() < end) {
  for (let n = 0; n < 200; n++, ops++) {
    const i = (ops * 7919) % job.keys;
    if (job.role === 'writer') {
      store.put(keys[i]!, SUCCESS, bodyOf(i, ops), [], 30, Date.now(), false, false);
    } else {
      const h = store.read(keys[i]!, 0);
      if (!h) continue;
      hits++;
      if (!whole(i, h.wire.subarray(0, h.wireLen))) torn++;
    }
  }
}
parentPort!.postMessage({ ops, hits, torn });
