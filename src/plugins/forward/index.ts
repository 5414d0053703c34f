/**
 * forward: proxy queries to upstream resolvers (CoreDNS's plugin/forward). Per worker: each data-plane
 * thread has its own upstream sockets and health state, and reads the resolv.conf files itself.
 * A resolv.conf that names no nameserver fails -validate, but never the running server: the block
 * starts without those upstreams (noupstream.ts reports it) and forwards once the file names one.
 */
import type { PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { DEFAULT_TIMEOUTS, Forward, RESOLV_CONF_POLL_MS, type Timeouts } from './forward.ts';
import type { UpstreamAddr } from './hosts.ts';
import { NoUpstreamReport } from './noupstream.ts';
import { parseForward } from './setup.ts';

/** ctx.shared key: per resolv.conf path, the nameservers last read from it in this process. */
const LAST_GOOD = 'forward.resolvconf.lastGood';

/**
 * Timeouts: CoreDNS's fixed values, unless overridden by the server's environment (ctx.env: the one
 * the server was given, which is process.env for the CLI) (for tests and for operators
 * who need faster failure): CLUSTERDNS_FORWARD_TIMEOUT_MS (whole query, 5000),
 * CLUSTERDNS_FORWARD_READ_TIMEOUT_MS (one exchange, 2000), CLUSTERDNS_FORWARD_HC_TIMEOUT_MS (health check, 1000).
 */
function timeouts(env: SetupContext['env']): Timeouts {
  const num = (k: string, d: number) => {
    const v = Number(env[k]);
    return Number.isFinite(v) && v > 0 ? v : d;
  };
  return {
    overallMs: num('CLUSTERDNS_FORWARD_TIMEOUT_MS', DEFAULT_TIMEOUTS.overallMs),
    readMs: num('CLUSTERDNS_FORWARD_READ_TIMEOUT_MS', DEFAULT_TIMEOUTS.readMs),
    hcTimeoutMs: num('CLUSTERDNS_FORWARD_HC_TIMEOUT_MS', DEFAULT_TIMEOUTS.hcTimeoutMs),
  };
}

/**
 * A worker thread started after a resolv.conf vanished (one that replaces a crashed worker) finds no
 * nameserver in it, while the rest of the process still forwards to the ones the file last named:
 * it asks the control thread for them, so every thread answers alike.
 */
function handOff(f: Forward, ctx: SetupContext): void {
  if (ctx.role === 'single') return;
  const ch = ctx.channel('resolvconf');
  if (ctx.role === 'control') {
    ch.onMessage((msg, reply) => {
      if ((msg as { t?: string }).t === 'nameservers?') reply({ t: 'nameservers', entries: f.cfg.resolvConf.inUse() });
    });
    return;
  }
  if (f.cfg.resolvConf.unresolved().length === 0) return;
  ch.onMessage((msg) => {
    const m = msg as { t?: string; entries?: [string, UpstreamAddr[]][] };
    if (m.t === 'nameservers' && Array.isArray(m.entries)) f.adoptNameservers(m.entries);
  });
  ch.send({ t: 'nameservers?' });
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
    const f = new Forward(cfg, ctx.log, timeouts(ctx.env), { pollMs: RESOLV_CONF_POLL_MS, logFileChanges: ctx.role !== 'data', ...(report ? { report } : {}) });
    if (serving && cfg.files.length > 0) handOff(f, ctx);
    return f;
  },
};
