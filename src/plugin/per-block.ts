/**
 * One plugin instance for a whole server block, for directives that may be written several times
 * in one block and act as one list there (CoreDNS's rewrite, template, acl and dns64 keep one list
 * per block; the server sets up a plugin per directive). The block's first setup creates the
 * instance and returns it; a later setup of the same block gets it back with `first: false`, adds
 * its line to it, and returns a plugin without `serve`.
 */
import type { SetupContext } from './contract.ts';
import { processState, stateKey } from './process-state.ts';

const FIRST_OF_BLOCK = stateKey('per-block/first', () => new Map<string, WeakMap<object, object>>());

export function perBlock<T extends object>(ctx: SetupContext, name: string, create: () => T): { plugin: T; first: boolean } {
  const all = processState(ctx, FIRST_OF_BLOCK);
  let byBlock = all.get(name);
  if (!byBlock) all.set(name, byBlock = new WeakMap());
  const seen = byBlock.get(ctx.block) as T | undefined;   // only perBlock(ctx, name, ...) puts a T here
  if (seen) return { plugin: seen, first: false };
  const plugin = create();
  byBlock.set(ctx.block, plugin);
  return { plugin, first: true };
}
