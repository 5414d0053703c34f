// SetupContext.sharedMemory: the control side's generation allocates, a data side's generation of
// the same Corefile maps the very same memory under the same key, another generation gets its own.
import { describe, expect, it } from 'vitest';
import { buildGeneration, ConfigErrors, type Generation, type Role } from '../../src/server/generation.ts';
import { LoopbackHub } from '../../src/server/channels.ts';

const corefile = `. {\n  cache\n  whoami\n}\nexample.org {\n  cache 30\n  whoami\n}\n`;
const build = (role: Role, memory?: ReadonlyMap<string, SharedArrayBuffer>) => buildGeneration({
  text: corefile, file: '/tmp/Corefile', dnsPort: 1053, role, sink: { write() {} }, shared: new Map(), hub: new LoopbackHub(), env: {}, memory,
});

describe('shared memory between the control side and the answering threads', () => {
  it('is allocated once per plugin instance and handed to the data side by key', async () => {
    const gens: Generation[] = [];
    try {
      const control = await build('control');
      gens.push(control);
      expect([...control.memory.keys()]).toEqual(['0/0/cache/store', '1/0/cache/store']);
      const [a, b] = [...control.memory.values()];
      expect(a).toBeInstanceOf(SharedArrayBuffer);
      expect(a).not.toBe(b);
      const data = await build('data', control.memory);
      gens.push(data);
      for (const [k, m] of control.memory) expect(data.memory.get(k)).toBe(m);
      // what a data side writes, the control side reads: one memory
      new Int32Array(data.memory.get('1/0/cache/store')!)[0] = 42;
      expect(new Int32Array(control.memory.get('1/0/cache/store')!)[0]).toBe(42);
      // a new generation (a reload) gets fresh memory
      const next = await build('control');
      gens.push(next);
      expect(next.memory.get('0/0/cache/store')).not.toBe(a);
    } finally {
      for (const g of gens) await g.close();
    }
  });

  it('a data side without the control side\'s memory fails to set up, at the plugin\'s line', async () => {
    const err = await build('data').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as Error).message).toMatch(/^\/tmp\/Corefile:2: cache: no shared memory '0\/0\/cache\/store' from the control thread/);
    const wrong = new Map([['0/0/cache/store', new SharedArrayBuffer(8)], ['1/0/cache/store', new SharedArrayBuffer(8)]]);
    const err2 = await build('data', wrong).then(() => null, (e: unknown) => e);
    expect((err2 as Error).message).toMatch(/shared memory '0\/0\/cache\/store' has 8 bytes, not \d+/);
  });
});
