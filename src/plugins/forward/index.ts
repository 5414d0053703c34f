/**
 * forward: proxy queries to upstream resolvers (CoreDNS's plugin/forward). Per worker: each data-plane
 * thread has its own upstream sockets and health state.
 */
import type { BlockInfo, PluginDefinition } from '../../plugin/contract.ts';
import { DEFAULT_TIMEOUTS, Forward, type Timeouts } from './forward.ts';
import { parseForward } from './setup.ts';

/** The forward instances of each server block, in Corefile order (for `next`: is the following plugin a forward?). */
const byBlock = new WeakMap<BlockInfo, Forward[]>();

/**
 * Timeouts: CoreDNS's fixed values, unless overridden by the environment (for tests and for operators
 * who need faster failure): CLUSTERDNS_FORWARD_TIMEOUT_MS (whole query, 5000),
 * CLUSTERDNS_FORWARD_READ_TIMEOUT_MS (one exchange, 2000), CLUSTERDNS_FORWARD_HC_TIMEOUT_MS (health check, 1000).
 */
function timeouts(): Timeouts {
  const num = (k: string, d: number) => {
    const v = Number(process.env[k]);
    return Number.isFinite(v) && v > 0 ? v : d;
  };
  return {
    overallMs: num('CLUSTERDNS_FORWARD_TIMEOUT_MS', DEFAULT_TIMEOUTS.overallMs),
    readMs: num('CLUSTERDNS_FORWARD_READ_TIMEOUT_MS', DEFAULT_TIMEOUTS.readMs),
    hcTimeoutMs: num('CLUSTERDNS_FORWARD_HC_TIMEOUT_MS', DEFAULT_TIMEOUTS.hcTimeoutMs),
  };
}

export const definition: PluginDefinition = {
  name: 'forward',
  setup(d, ctx) {
    const cfg = parseForward(d, ctx.corefile);
    const f = new Forward(cfg, ctx.log, timeouts());
    const list = byBlock.get(ctx.block) ?? [];
    list.push(f);
    byBlock.set(ctx.block, list);
    f.nextIsForward = () => list.indexOf(f) < list.length - 1;
    return f;
  },
};
