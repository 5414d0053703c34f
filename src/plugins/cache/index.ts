/** cache: a frontend cache (CoreDNS's plugin/cache). Per worker: each data-plane thread has its own. */
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
    return new Cache(parseCache(d, ctx.block.zones), ctx.block, ctx.log);
  },
};
