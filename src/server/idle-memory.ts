/**
 * Gives memory back once a thread goes quiet after a busy spell (issue 10: RSS after load within
 * idle + max(32 MiB, 20 %)). Measured at 10k Services / 100k endpoints in a 170Mi cgroup, one
 * thread: after a minute of the pod mix or of random forwarded names, RSS stayed 11 to 43 MiB above
 * idle, and by how much differed from run to run. Nearly all of it was memory already free:
 * - V8 pages: a major collection frees the objects but V8 keeps the emptied pages resident, pooled
 *   for reuse (here 10-35 MiB); its memory reducer releases them only after 8 s or more of low
 *   allocation, so a server that goes quiet kept them for tens of seconds, or for good when it
 *   never looked idle enough;
 * - malloc: V8's compilers, Node's sockets and the query path free memory in the middle of glibc's
 *   heaps, which glibc never returns (5-13 MiB here).
 * So each thread checks, every CHECK_MS, how busy its event loop was (event-loop utilization).
 * After a busy window, the first quiet one collects everything the thread can (collectAllNow(),
 * which releases V8's pooled pages) and trims malloc (malloc_trim through native/memory.c) —
 * only if the process's RSS grew by GROWTH_BYTES since the last time (there is something to give
 * back), and at most once per MIN_GAP_MS. It takes 50-250 ms, in a thread that has had nothing to
 * do for CHECK_MS; under steady load it never runs (V8 keeps collecting on its own schedule), and
 * bursts that keep growing RSS make it cost at most ~5 % of one thread.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { collectAllNow } from '../plugin/collect.ts';
import { trimMalloc } from './native/memory.ts';

export const CHECK_MS = 500;
/** A window with the loop busy at least this fraction of the time is a busy spell... */
export const BUSY_ELU = 0.25;
/** ...and one busy at most this fraction is quiet. */
export const QUIET_ELU = 0.05;
export const GROWTH_BYTES = 8 * 2 ** 20;
export const MIN_GAP_MS = 5000;

export interface Reduction { ms: number; rssBefore: number; rssAfter: number; trimmed: boolean }

let users = 0;
let timer: NodeJS.Timeout | undefined;
let listener: ((r: Reduction) => void) | undefined;

/**
 * Start watching this thread (once per thread however often it is called); the function returned
 * stops it when every caller has called theirs. `onReduce` (tests, logs) hears of each reduction.
 */
export function reduceMemoryWhenIdle(onReduce?: (r: Reduction) => void): () => void {
  users++;
  if (onReduce) listener = onReduce;
  if (!timer) start();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--users === 0 && timer) { clearInterval(timer); timer = undefined; listener = undefined; }
  };
}

function start(): void {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let busy = false;
  let base = process.memoryUsage.rss();
  let lastAt = -Infinity;
  timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (u >= BUSY_ELU) { busy = true; return; }
    if (!busy || u > QUIET_ELU) return;
    const t = performance.now();
    if (t - lastAt < MIN_GAP_MS) return;
    const rssBefore = process.memoryUsage.rss();
    if (rssBefore < base + GROWTH_BYTES) { busy = false; return; }
    if (!collectAllNow()) return;
    const trimmed = trimMalloc();
    base = process.memoryUsage.rss();
    lastAt = performance.now();
    busy = false;
    last = performance.eventLoopUtilization();   // the reduction itself is not a busy spell
    listener?.({ ms: lastAt - t, rssBefore, rssAfter: base, trimmed });
  }, CHECK_MS);
  timer.unref();
}
