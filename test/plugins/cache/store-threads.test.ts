// The shared cache under real threads (src/plugins/cache/store.ts): one thread rewrites entries as
// fast as it can through small rings (so their bytes are reused all the time) while two threads
// read them; no reader may ever get a copy mixed from two writes. Both read modes run here (x86-64
// uses the seqlock; other CPUs read under the lock, ReadMode 'lock').
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { layout, type ReadMode } from '../../../src/plugins/cache/store.ts';

const THREAD = new URL('./store-thread.ts', import.meta.url);

function run(mem: SharedArrayBuffer, lay: ReturnType<typeof layout>, mode: ReadMode, role: 'writer' | 'reader'): Promise<{ ops: number; hits: number; torn: number }> {
  const w = new Worker(THREAD, { workerData: { mem, lay, caps: [256, 256], mode, role, keys: 64, ms: 1500 } });
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`thread exited ${code}`)); });
  });
}

describe('the shared cache, read while another thread writes', () => {
  for (const mode of ['seqlock', 'lock'] as const) {
    it(`never hands out a torn entry (${mode})`, async () => {
      const lay = layout([256, 256], [16 * 1024, 16 * 1024]);
      const mem = new SharedArrayBuffer(lay.bytes);
      const [writer, a, b] = await Promise.all([run(mem, lay, mode, 'writer'), run(mem, lay, mode, 'reader'), run(mem, lay, mode, 'reader')]);
      expect(writer.ops).toBeGreaterThan(1000);
      expect(a.hits + b.hits).toBeGreaterThan(1000);
      expect([a.torn, b.torn]).toEqual([0, 0]);
    }, 20_000);
  }
});
