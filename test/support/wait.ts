/**
 * Waiting in tests: the one `sleep`, `until`, `eventually` and `holds` every test uses.
 *
 * Why: a fixed sleep before a strict check is either too short on a busy machine (a flaky test)
 * or too long everywhere (a slow suite). Poll for the state the test expects instead, bounded in
 * time; when a test must show that something did NOT happen, `holds` checks it all along a window
 * rather than once after a sleep.
 */

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `cond` every `stepMs` until it is true (→ true) or `ms` pass (→ false). Errors propagate. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 3_000, stepMs = 20): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

/**
 * Poll `fn` until `ok` accepts its value and return that value; an error thrown by `fn` counts as
 * "not yet". Throws after `ms` with the last value or error, and `what` was awaited.
 */
export async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 3_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  let err: unknown;
  for (;;) {
    try {
      last = await fn();
      err = undefined;
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    if (Date.now() > end) break;
    await sleep(10);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last value ${JSON.stringify(last)}${err ? `, last error ${String(err)}` : ''}`);
}

/** Poll `fn` until its value equals `want` (compared as JSON); returns the last value either way. */
export async function settles<T>(fn: () => Promise<T> | T, want: T, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  const goal = JSON.stringify(want);
  let got = await fn();
  while (JSON.stringify(got) !== goal && Date.now() < end) {
    await sleep(20);
    got = await fn();
  }
  return got;
}

/**
 * Check that `cond` stays true during the whole `ms` window (polled every `stepMs`): false as soon
 * as it fails. For "nothing happened" assertions, which a single check after a sleep makes weak.
 */
export async function holds(cond: () => boolean | Promise<boolean>, ms: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!(await cond())) return false;
    if (Date.now() >= end) return true;
    await sleep(stepMs);
  }
}
