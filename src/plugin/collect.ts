/**
 * A full garbage collection in this thread, now or soon, for when it dropped shared memory: a
 * SharedArrayBuffer (a generation's caches on reload, a replaced cluster image) is freed only once
 * every thread that held it has collected its handle, and a thread whose own heap barely grows —
 * the control thread, an idle worker — may not run a full collection for hours. Measured: after 12
 * reloads of a 2-worker server with 16 MiB caches, 210 MiB stayed allocated until the workers
 * collected; with a collection after each reload, none. Under a stream of cluster changes the old
 * images would pile up the same way. The collection runs concurrently where V8 can.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** At most one collectSoon() collection per this many ms per thread. */
export const COLLECT_MS = 500;

type Gc = (o?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => unknown;
let gc: Gc | null | undefined;      // null: not available, V8 collects on its own schedule
let timer: NodeJS.Timeout | undefined;

function exposed(): Gc | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/** One major collection now (e.g. after a reload, which is rare). */
export function collectNow(): void {
  try {
    void exposed()?.({ type: 'major', execution: 'async' });
  } catch {
    gc = null;
  }
}

/**
 * Collect everything this thread can and give the freed heap pages back to the kernel, now and
 * synchronously (V8's "last resort" collection: full collections that reduce memory until nothing
 * more is freed, and the pages V8 keeps pooled for reuse are released). A plain major collection
 * frees objects but keeps those pages resident; V8's own memory reducer releases them only after
 * 8 s or more of low allocation. It takes 50-200 ms at 10k Services: for a thread that went quiet
 * after a busy spell (src/server/idle-memory.ts), never for the query path. false: not available.
 */
export function collectAllNow(): boolean {
  try {
    const f = exposed();
    if (!f) return false;
    f({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return true;
  } catch {
    gc = null;
    return false;
  }
}

/** One major collection within COLLECT_MS, however often this is called meanwhile. */
export function collectSoon(): void {
  if (timer || gc === null) return;
  timer = setTimeout(() => { timer = undefined; collectNow(); }, COLLECT_MS);
  timer.unref();
}
