/** loop: detect forwarding loops at start (CoreDNS's plugin/loop); see loop.ts. */
import { CorefileError } from '../../corefile/types.ts';
import type { BlockInfo, PluginDefinition } from '../../plugin/contract.ts';
import { Loop } from './loop.ts';

const seenBlocks = new WeakSet<BlockInfo>();

export const definition: PluginDefinition = {
  name: 'loop',
  setup(d, ctx) {
    if (d.args.length > 0) throw CorefileError.at(d, `loop: takes no arguments — write just: loop`);
    if (d.block) throw CorefileError.at(d, `loop: takes no block — write just: loop`);
    if (seenBlocks.has(ctx.block)) throw CorefileError.at(d, `loop: this plugin can only be used once per Server Block — remove the extra line`);
    seenBlocks.add(ctx.block);
    return new Loop(ctx.block.zones[0] ?? '.', ctx);
  },
};
