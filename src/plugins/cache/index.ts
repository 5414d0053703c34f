/**
 * cache: a frontend cache (CoreDNS's plugin/cache). One per server block: the control (or single)
 * thread allocates its store as shared memory and every answering thread serves from that same store.
 */
import { CorefileError } from '../../corefile/types.ts';
import type { BlockInfo, PluginDefinition } from '../../plugin/contract.ts';
import { Cache } from './cache.ts';
import { parseCache } from './setup.ts';

const seen = new WeakSet<BlockInfo>();

export const definition: PluginDefinition = {
  name: 'cache',
  setup(d, ctx) {
    if (seen.has(ctx.block)) throw CorefileError.at(d, 'cache: this plugin can only be used once per Server Block — merge the cache lines');
    seen.add(ctx.block);
    return new Cache(parseCache(d, ctx.block.zones), ctx.block, ctx.log, {
      memory: (bytes) => ctx.sharedMemory('store', bytes),
      reportsEntries: ctx.role !== 'data',
    });
  },
};
