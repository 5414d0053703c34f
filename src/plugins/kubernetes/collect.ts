/**
 * A full garbage collection soon after this thread dropped a cluster image. A dropped image is a
 * SharedArrayBuffer of megabytes that is freed only once every thread that held it has collected
 * its handle, and a thread whose own heap barely grows (an answering thread, the control thread
 * between changes) may not collect for a long time: under a stream of cluster changes the old
 * images would pile up. At most one collection per COLLECT_MS per thread, run concurrently where
 * V8 can (the same approach as the server's collection after a reload, src/server/gc.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export const COLLECT_MS = 500;

type Gc = (o?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => unknown;
let gc: Gc | null | undefined;
let timer: NodeJS.Timeout | undefined;

export function collectSoon(): void {
  if (timer || gc === null) return;
  timer = setTimeout(() => {
    timer = undefined;
    try {
      if (gc === undefined) {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as Gc;
      }
      void gc!({ type: 'major', execution: 'async' });
    } catch {
      gc = null;   // not available: V8 collects on its own schedule
    }
  }, COLLECT_MS);
  timer.unref();
}
