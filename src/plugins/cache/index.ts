/**
 * cache: a frontend cache (CoreDNS's plugin/cache). One per server block, in two parts: the
 * control part allocates the store as shared memory and reports its size (coredns_cache_entries,
 * a gauge of the whole process: set in one thread only, or the merged /metrics would multiply
 * it); every answering thread serves from that same store.
 */
import type { ControlPart } from '../../plugin/contract.ts';
import { parts } from '../../plugin/parts.ts';
import { Cache } from './cache.ts';
import { cacheCounters, type CacheCounters } from './metrics.ts';
import { parseCache } from './setup.ts';
import { CacheStore, DENIAL, layout, SUCCESS } from './store.ts';

export const definition = parts({
  name: 'cache',
  oncePerBlock: true,
  parse: (d, ctx) => parseCache(d, ctx.block.zones),
  control(cfg, ctx): ControlPart {
    const lay = layout([cfg.pcap, cfg.ncap], [cfg.pbytes, cfg.nbytes]);
    const store = new CacheStore(ctx.sharedMemory('store', lay.bytes), lay, [cfg.pcap, cfg.ncap]);
    let bound: CacheCounters | undefined;
    return {
      name: 'cache',
      // Bound at start: the block's server label is final by then (bind).
      start() { bound = cacheCounters(ctx.block.server, cfg.zones.join(','), () => [store.count(SUCCESS), store.count(DENIAL)]); },
      close() { bound?.release(); },
    };
  },
  answering: (cfg, ctx) => new Cache(cfg, ctx.block, ctx.log, {
    memory: (bytes) => ctx.sharedMemory('store', bytes),
    reportsEntries: false,   // the control part does
  }),
});
