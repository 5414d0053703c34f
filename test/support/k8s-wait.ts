/** Bounded polling for tests that wait for a change to propagate. */
export async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 3_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  let last: T | undefined;
  let err: unknown;
  for (let i = 0; i < 10_000; i++) {
    try {
      last = await fn();
      err = undefined;
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last value ${JSON.stringify(last)}${err ? `, last error ${String(err)}` : ''}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
