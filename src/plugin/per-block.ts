/**
 * One plugin instance for a whole server block, for directives that may be written several times
 * in one block and act as one list there (CoreDNS's rewrite, template, acl and dns64 keep one list
 * per block; the server sets up a plugin per directive). The block's first setup creates the
 * instance and returns it; a later setup of the same block gets it back with `first: false`, adds
 * its line to it, and returns a plugin without `serve`.
 */
import type { SetupContext } from './contract.ts';

export function perBlock<T extends object>(ctx: SetupContext, name: string, create: () => T): { plugin: T; first: boolean } {
  const key = `${name}:first-of-block`;
  let byBlock = ctx.shared.get(key) as WeakMap<object, T> | undefined;
  if (!byBlock) { byBlock = new WeakMap(); ctx.shared.set(key, byBlock); }
  const seen = byBlock.get(ctx.block);
  if (seen) return { plugin: seen, first: false };
  const plugin = create();
  byBlock.set(ctx.block, plugin);
  return { plugin, first: true };
}
