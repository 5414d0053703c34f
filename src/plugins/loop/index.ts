/** loop: detect forwarding loops at start (CoreDNS's plugin/loop); see loop.ts. */
import { CorefileError } from '../../corefile/types.ts';
import { parts } from '../../plugin/parts.ts';
import { LoopProbe, LoopWatch } from './loop.ts';

export const definition = parts({
  name: 'loop',
  oncePerBlock: true,
  parse(d, ctx) {
    if (d.args.length > 0) throw CorefileError.at(d, `loop: takes no arguments — write just: loop`);
    if (d.block) throw CorefileError.at(d, `loop: takes no block — write just: loop`);
    return ctx.block.zones[0] ?? '.';
  },
  control: (zone, ctx) => new LoopProbe(zone, ctx),
  answering: (zone, ctx) => new LoopWatch(zone, ctx),
});
