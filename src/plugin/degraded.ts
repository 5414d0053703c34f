/**
 * Degradations: a plugin that keeps serving with part of its job impossible (forward with no
 * upstream because resolv.conf is missing) says so here, and the health plugin shows it on /health.
 * The process stays live (restarting it would not bring the missing piece back, and a crash loop
 * would take every other answer down with it), so this is information, not a failure.
 *
 * Kept as process state (one map per process), keyed by an owner object (the plugin instance),
 * so a new generation's report and the old one's removal during a reload never clash.
 */
import type { SetupContext } from './contract.ts';
import { processState, stateKey } from './process-state.ts';

const DEGRADATIONS = stateKey('plugin/degradations', () => new Map<object, string>());

type Shared = Pick<SetupContext, 'shared'>;
const table = (ctx: Shared) => processState(ctx, DEGRADATIONS);

/** Report (`reason`: one line) or clear (undefined) the degradation of `owner`. */
export function setDegraded(ctx: Shared, owner: object, reason: string | undefined): void {
  if (reason === undefined) table(ctx).delete(owner);
  else table(ctx).set(owner, reason);
}

/** The current degradations of this process, one line each, sorted. */
export function degradations(ctx: Shared): string[] {
  return [...table(ctx).values()].sort();
}
