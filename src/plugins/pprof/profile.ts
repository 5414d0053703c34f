/**
 * What a thread can tell about itself, Node's counterparts of Go's pprof profiles: a CPU profile
 * of this thread's isolate for some seconds (node:inspector's Profiler, the `.cpuprofile` JSON
 * that Chrome DevTools and VS Code open), and a heap snapshot (v8.getHeapSnapshot, the
 * `.heapsnapshot` JSON), streamed as V8 writes it. Both work in the main thread and in a worker:
 * each thread has its own isolate and profiles only itself.
 */
import { Session } from 'node:inspector/promises';
import type { Readable } from 'node:stream';
import { getHeapSnapshot } from 'node:v8';

let profiling = false;

/** Thrown when a CPU profile is asked for while this thread is already taking one. */
export class ProfileBusy extends Error {}

/** Sample this thread's CPU for `seconds` and return the `.cpuprofile` JSON. One at a time per thread. */
export async function cpuProfile(seconds: number, signal?: AbortSignal): Promise<string> {
  if (profiling) throw new ProfileBusy('cpu profiling already in use');
  profiling = true;
  const session = new Session();
  try {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, seconds * 1000);
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    return JSON.stringify(profile);
  } finally {
    session.disconnect();
    profiling = false;
  }
}

/**
 * A heap snapshot of this thread's isolate, as a stream of its JSON. V8 pauses the thread while it
 * walks the heap (the stream is then read from a buffer), so the thread answers nothing meanwhile.
 */
export function heapSnapshot(): Readable {
  return getHeapSnapshot();
}
