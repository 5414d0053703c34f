/**
 * Degradations: a plugin that keeps serving with part of its job impossible (forward with no
 * upstream because resolv.conf is missing) says so here, and the health plugin shows it on /health.
 * The process stays live (restarting it would not bring the missing piece back, and a crash loop
 * would take every other answer down with it), so this is information, not a failure.
 *
 * Kept in SetupContext.shared (one map per process), keyed by an owner object (the plugin
 * instance), so a new generation's report and the old one's removal during a reload never clash.
 */
const KEY = 'plugin.degradations';

function table(shared: Map<string, unknown>): Map<object, string> {
  let t = shared.get(KEY) as Map<object, string> | undefined;
  if (!t) { t = new Map(); shared.set(KEY, t); }
  return t;
}

/** Report (`reason`: one line) or clear (undefined) the degradation of `owner`. */
export function setDegraded(shared: Map<string, unknown>, owner: object, reason: string | undefined): void {
  if (reason === undefined) table(shared).delete(owner);
  else table(shared).set(owner, reason);
}

/** The current degradations of this process, one line each, sorted. */
export function degradations(shared: Map<string, unknown>): string[] {
  return [...table(shared).values()].sort();
}
