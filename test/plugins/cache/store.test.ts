import { describe, expect, test } from 'vitest';
import { encodeQuery } from '../../../src/dns/codec.ts';
import { CacheStore, Claim, DEFAULT_READ_MODE, DENIAL, Key, layout, SUCCESS } from '../../../src/plugins/cache/store.ts';
import { questionEnd } from '../../../src/dns/codec.ts';

function store(caps: [number, number], bytes: [number, number]) {
  const lay = layout(caps, bytes);
  const s = new CacheStore(new SharedArrayBuffer(lay.bytes), lay, caps);
  const evicted = [0, 0];
  s.onEvict = (r) => { evicted[r]!++; };
  return { s, evicted };
}

function key(name: string, type = 1, o: { do?: boolean; cd?: boolean } = {}): Key {
  const wire = encodeQuery(name, type, {});
  const k = new Key();
  expect(k.set(wire, questionEnd(wire), o.do ?? false, o.cd ?? false)).toBe(true);
  return k.clone();
}

/** A fake response of `n` bytes whose content says which name and version it is. */
function body(tag: string, n = 64): Buffer {
  const b = Buffer.alloc(n, 0x2e);
  b.write(tag, 0, 'latin1');
  return b;
}

const get = (s: CacheStore, k: Key) => {
  const h = s.read(k, 0);
  return h ? h.wire.subarray(0, h.wireLen).toString('latin1').replace(/\.+$/, '') : null;
};

describe('cache store (shared memory)', () => {
  test('keys are case-insensitive names with type, class, DO and CD', () => {
    const { s } = store([1024, 1024], [1 << 16, 1 << 16]);
    s.put(key('Www.Example.org.'), SUCCESS, body('a'), [], 30, 0, false, false);
    expect(get(s, key('www.example.ORG.'))).toBe('a');
    expect(get(s, key('www.example.org.', 28))).toBeNull();
    expect(get(s, key('www.example.org.', 1, { do: true }))).toBeNull();
    expect(get(s, key('www.example.org.', 1, { cd: true }))).toBeNull();
    // a key lives in one cache: a denial replaces the success entry
    s.put(key('www.example.org.'), DENIAL, body('n'), [], 30, 0, false, false);
    expect(get(s, key('www.example.org.'))).toBe('n');
    expect([s.count(SUCCESS), s.count(DENIAL)]).toEqual([0, 1]);
  });

  test('bounded in bytes: big answers push out old ones, the ring never exceeds its size', () => {
    const { s, evicted } = store([1024, 1024], [16 * 1024, 16 * 1024]);
    for (let i = 0; i < 100; i++) expect(s.put(key(`n${i}.example.`), SUCCESS, body(`v${i}`, 1000), [], 30, 0, false, false)).toBe(true);
    expect(s.count(SUCCESS)).toBeLessThanOrEqual(16);
    expect(s.count(SUCCESS)).toBeGreaterThanOrEqual(14);
    expect(s.used(SUCCESS)).toBeLessThanOrEqual(16 * 1024);
    expect(evicted[SUCCESS]).toBe(100 - s.count(SUCCESS));
    expect(get(s, key('n99.example.'))).toBe('v99');
    expect(get(s, key('n0.example.'))).toBeNull();
    // an answer larger than half the ring is not kept at all
    expect(s.put(key('huge.example.'), SUCCESS, body('h', 9000), [], 30, 0, false, false)).toBe(false);
    // the denial cache has its own bytes
    s.put(key('nx.example.'), DENIAL, body('nx', 1000), [], 30, 0, false, false);
    expect(get(s, key('nx.example.'))).toBe('nx');
  });

  test('bounded in entries; an entry hit since it was stored gets a second chance', () => {
    const { s, evicted } = store([1024, 1024], [1 << 20, 1 << 20]);
    for (let i = 0; i < 1024; i++) s.put(key(`n${i}.example.`), SUCCESS, body(`v${i}`), [], 30, 0, false, false);
    const h = s.read(key('n0.example.'), 0);
    s.touch(h!.slot);
    s.put(key('new.example.'), SUCCESS, body('new'), [], 30, 0, false, false);
    expect(s.count(SUCCESS)).toBe(1024);
    expect(evicted[SUCCESS]).toBe(1);
    expect(get(s, key('n0.example.'))).toBe('v0');       // hit: moved to the head
    expect(get(s, key('n1.example.'))).toBeNull();       // the oldest not hit: evicted
    expect(get(s, key('new.example.'))).toBe('new');
  });

  test('random puts keep the table consistent: a key reads back its latest value or nothing', () => {
    const { s } = store([1024, 1024], [64 * 1024, 32 * 1024]);
    const latest = new Map<string, string>();
    let seed = 7;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let i = 0; i < 40_000; i++) {
      const name = `k${rnd(3000)}.example.`;
      const v = `${name}#${i}`;
      const ring = rnd(4) === 0 ? DENIAL : SUCCESS;
      if (rnd(2) === 0) { const h = s.read(key(name), 0); if (h) s.touch(h.slot); continue; }   // hit: a second chance
      expect(s.put(key(name), ring, body(v, 24 + rnd(400)), [], 30, 0, false, false)).toBe(true);
      latest.set(name, v);
    }
    let found = 0;
    for (const [name, v] of latest) {
      const got = get(s, key(name));
      if (got !== null) { expect(got).toBe(v); found++; }
    }
    expect(found).toBe(s.count(SUCCESS) + s.count(DENIAL));
    expect(s.count(SUCCESS)).toBeLessThanOrEqual(1024);
    expect(s.used(SUCCESS)).toBeLessThanOrEqual(64 * 1024);
    expect(s.used(DENIAL)).toBeLessThanOrEqual(32 * 1024);
  });

  test('a write lock left behind by a thread that died is taken over; a busy one makes a store give up, not wait', () => {
    const lay = layout([1024, 1024], [1 << 16, 1 << 16]);
    const mem = new SharedArrayBuffer(lay.bytes);
    const s = new CacheStore(mem, lay, [1024, 1024]);
    const I = new Int32Array(mem), F = new Float64Array(mem);
    I[0] = 1; F[6] = Date.now();                     // held right now by another thread
    const t0 = Date.now();
    expect(s.put(key('busy.example.'), SUCCESS, body('b'), [], 30, 0, false, false)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(500);
    F[6] = Date.now() - 5000;                        // held for 5 s: its holder is gone
    expect(s.put(key('busy.example.'), SUCCESS, body('b'), [], 30, 0, false, false)).toBe(true);
    expect(I[0]).toBe(0);
    expect(get(s, key('busy.example.'))).toBe('b');
  });

  test('read modes: the same entries either way; under the lock a reader never copies while the lock is held', () => {
    const lay = layout([1024, 1024], [1 << 16, 1 << 16]);
    const mem = new SharedArrayBuffer(lay.bytes);
    const seq = new CacheStore(mem, lay, [1024, 1024], 'seqlock');
    const locked = new CacheStore(mem, lay, [1024, 1024], 'lock');
    expect(DEFAULT_READ_MODE).toBe(process.arch === 'x64' ? 'seqlock' : 'lock');
    for (let i = 0; i < 50; i++) seq.put(key(`m${i}.example.`), i % 2 ? DENIAL : SUCCESS, body(`m${i}`), [], 30, 0, false, false);
    for (let i = 0; i < 50; i++) expect([get(seq, key(`m${i}.example.`)), get(locked, key(`m${i}.example.`))]).toEqual([`m${i}`, `m${i}`]);
    expect(get(locked, key('absent.example.'))).toBeNull();
    const I = new Int32Array(mem);
    I[0] = 1;                                          // a writer holds the lock right now
    expect(get(seq, key('m1.example.'))).toBe('m1');   // the seqlock reader does not look at it
    expect(get(locked, key('m1.example.'))).toBeNull(); // the locking reader sees a miss, at once
    I[0] = 0;
    expect(get(locked, key('m1.example.'))).toBe('m1');
    expect(I[0]).toBe(0);                              // and gives the lock back
  });

  test('fetch claims: one owner per key, others wait and are woken on release', async () => {
    const { s } = store([1024, 1024], [1 << 16, 1 << 16]);
    const k = key('claim.example.');
    expect(s.claim(k, 0, 0, 5000)).toBe(Claim.Owner);
    const j = s.claimed, deadline = s.deadline;
    expect(s.claim(k, 0, 0, 5000)).toBe(Claim.Wait);
    const woke = s.wait(s.claimed, s.wakeValue, s.deadline).then(() => Date.now());
    const t0 = Date.now();
    setTimeout(() => {
      s.put(k, SUCCESS, body('x'), [], 30, 0, false, false);
      s.release(j, k, deadline);
    }, 20);
    expect((await woke) - t0).toBeLessThan(2000);
    // stored and released: the next miss sees it present instead of claiming
    expect(s.claim(k, 1000, 0, 5000)).toBe(Claim.Present);
    // expired (30 s): claimable again
    expect(s.claim(k, 31_000, 0, 5000)).toBe(Claim.Owner);
    expect(s.claim(key('other.example.'), 0, 0, 5000)).toBe(Claim.Owner);
  });
});
