/**
 * forward: proxy queries to upstream resolvers (CoreDNS's plugin/forward). Per worker: each data-plane
 * thread has its own upstream sockets and health state, and reads the resolv.conf files itself.
 * A resolv.conf that names no nameserver fails -validate, but never the running server: the block
 * starts without those upstreams (noupstream.ts reports it) and forwards once the file names one.
 */
import type { BlockInfo, PluginDefinition } from '../../plugin/contract.ts';
import { DEFAULT_TIMEOUTS, Forward, RESOLV_CONF_POLL_MS, type Timeouts } from './forward.ts';
import type { UpstreamAddr } from './hosts.ts';
import { NoUpstreamReport } from './noupstream.ts';
import { parseForward } from './setup.ts';

/** ctx.shared key: per resolv.conf path, the nameservers last read from it in this process. */
const LAST_GOOD = 'forward.resolvconf.lastGood';

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
    const serving = ctx.mode !== 'validate';
    let lastGood = ctx.shared.get(LAST_GOOD) as Map<string, UpstreamAddr[]> | undefined;
    if (serving && !lastGood) ctx.shared.set(LAST_GOOD, lastGood = new Map());
    const cfg = parseForward(d, ctx.corefile, { strictFiles: !serving, ...(serving ? { lastGood } : {}) });
    // Logs, the upstreams gauge and /health: once per process, from the thread that owns /health and /metrics.
    const report = serving && ctx.role !== 'data'
      ? new NoUpstreamReport({ log: ctx.log, at: cfg.at, from: cfg.from, server: () => ctx.block.server, shared: ctx.shared, pollMs: RESOLV_CONF_POLL_MS })
      : undefined;
    const f = new Forward(cfg, ctx.log, timeouts(), { pollMs: RESOLV_CONF_POLL_MS, logFileChanges: ctx.role !== 'data', ...(report ? { report } : {}) });
    const list = byBlock.get(ctx.block) ?? [];
    list.push(f);
    byBlock.set(ctx.block, list);
    f.nextIsForward = () => list.indexOf(f) < list.length - 1;
    return f;
  },
};
