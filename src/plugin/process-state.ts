/**
 * Per-process state with declared, typed keys: what several plugin instances, server blocks or
 * generations (reloads) of one process share — a listener, a watch source kept across reloads,
 * the last good nameservers of a resolv.conf. A plugin declares its key once, with the value's
 * type and how to make it, and never reads an untyped map with a cast:
 *
 *   const SOURCES = stateKey('kubernetes/shared-sources', () => new Map<string, Entry>());
 *   const all = processState(ctx, SOURCES);          // Map<string, Entry>, made on first use
 *
 * Keys are compared by name, so two keys with one name are a programming error: the second
 * declaration throws at load time. The values live in the server's per-process map
 * (SetupContext.shared) and outlive reloads; per-thread, like everything in a thread's heap.
 */
import type { SetupContext } from './contract.ts';

export interface StateKey<T> { readonly name: string; readonly make: () => T }

const declared = new Set<string>();

/** Declare a key (at module load): `name` must be unique in the process. */
export function stateKey<T>(name: string, make: () => T): StateKey<T> {
  if (declared.has(name)) throw new Error(`process state key '${name}' declared twice`);
  declared.add(name);
  return { name, make };
}

/** The value under `key` in this process, made with key.make() the first time. */
export function processState<T>(ctx: Pick<SetupContext, 'shared'>, key: StateKey<T>): T {
  const slot = `state:${key.name}`;
  if (ctx.shared.has(slot)) return ctx.shared.get(slot) as T;   // the one cast: the key fixes the type
  const v = key.make();
  ctx.shared.set(slot, v);
  return v;
}
