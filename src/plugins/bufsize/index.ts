/**
 * bufsize: caps the EDNS0 buffer size of queries (default 1232, the DNS Flag Day 2020 value) so
 * answers and forwarded queries avoid IP fragmentation (CoreDNS's plugin/bufsize). In a block with
 * bufsize, the server's own 1232-byte limit on UDP answers (src/server/handler.ts) gives way to this
 * plugin's: req.size, lowered here to SIZE, is then the only limit, so SIZE may also be larger.
 */
import type { PluginDefinition } from '../../plugin/contract.ts';
import { maxArgs, noBlock, parseIntIn } from '../../plugin/args.ts';

export const definition: PluginDefinition = {
  name: 'bufsize',
  setup(d) {
    maxArgs(d, 1, 'bufsize [SIZE]');
    noBlock(d, 'bufsize [SIZE]');
    const size = d.args[0] ? parseIntIn(d, d.args[0], 512, 4096, 'buffer size') : 1232;
    return {
      name: 'bufsize',
      serve(req, next) {
        const e = req.msg.edns;
        if (e && e.udpSize > size) {
          e.udpSize = size;
          if (req.protocol === 'udp' && req.size > size) req.size = size;
        }
        return next(req);
      },
    };
  },
};
