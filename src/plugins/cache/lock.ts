/**
 * The write lock of a shared cache: one Int32 word in shared memory (0 free, 1 held, 2 held with
 * waiters, as a futex mutex) and a Float64 with the time it was taken. Writers spin briefly, then
 * sleep in 1 ms steps (Atomics.wait) for at most LOCK_WAIT_MS and give up (the caller skips its
 * write: a cache may always forget). A lock held for over LOCK_STALE_MS belongs to a thread that
 * died in the middle of a write (writes take microseconds): it is taken over. Where readers lock too
 * (store.ts, ReadMode 'lock') they only try (tryLock) and count as a miss when it is busy.
 */

const LOCK_SPINS = 200, LOCK_WAIT_MS = 20, LOCK_STALE_MS = 1000, TRY_SPINS = 50;

export class WriteLock {
  private readonly I: Int32Array;
  private readonly word: number;
  private readonly F: Float64Array;
  private readonly at: number;

  constructor(I: Int32Array, word: number, F: Float64Array, at: number) {
    this.I = I; this.word = word; this.F = F; this.at = at;
  }

  lock(): boolean {
    if (this.acquire()) { this.F[this.at] = Date.now(); return true; }
    const now = Date.now();
    if (now - this.F[this.at]! > LOCK_STALE_MS) {
      Atomics.store(this.I, this.word, 2);
      this.F[this.at] = now;
      return true;
    }
    return false;
  }

  /** Take the lock if it is free within a few tries, without waiting (a reader's copy: ReadMode 'lock'). */
  tryLock(): boolean {
    for (let i = 0; i < TRY_SPINS; i++) {
      if (Atomics.compareExchange(this.I, this.word, 0, 1) === 0) { this.F[this.at] = Date.now(); return true; }
    }
    return false;
  }

  private acquire(): boolean {
    const I = this.I;
    let c = Atomics.compareExchange(I, this.word, 0, 1);
    if (c === 0) return true;
    for (let i = 0; i < LOCK_SPINS; i++) {
      c = Atomics.compareExchange(I, this.word, 0, 1);
      if (c === 0) return true;
    }
    // Contended: mark it (2) so the holder wakes us, and sleep in short steps (futex-style mutex).
    const until = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      if (c === 2 || Atomics.compareExchange(I, this.word, 1, 2) !== 0) Atomics.wait(I, this.word, 2, 1);
      c = Atomics.compareExchange(I, this.word, 0, 2);
      if (c === 0) return true;
      if (Date.now() > until) return false;
    }
  }

  unlock(): void {
    if (Atomics.exchange(this.I, this.word, 0) === 2) Atomics.notify(this.I, this.word, 1);
  }
}
