/**
 * forward: proxy queries to upstream resolvers (CoreDNS's plugin/forward). Per worker: each data-plane
 * thread has its own upstream sockets and health state, and reads the resolv.conf files itself.
 * A resolv.conf that names no nameserver fails -validate, but never the running server: the block
 * starts without those upstreams (noupstream.ts reports it) and forwards once the file names one.
 */
import type { SetupContext } from '../../plugin/contract.ts';
import { parts } from '../../plugin/parts.ts';
import { processState, stateKey } from '../../plugin/process-state.ts';
import { typedChannel } from '../../plugin/ends.ts';
import { DEFAULT_TIMEOUTS, Forward, RESOLV_CONF_POLL_MS, type Timeouts } from './forward.ts';
import type { UpstreamAddr } from './hosts.ts';
import { NoUpstreamReport } from './noupstream.ts';
import { parseForward } from './setup.ts';

/** Per resolv.conf path, the nameservers last read from it in this process (kept across reloads). */
const LAST_GOOD = stateKey('forward/resolvconf-last-good', () => new Map<string, UpstreamAddr[]>());

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

/** The nameserver hand-off between the parts (see below). */
type Ask = { t: 'nameservers?' };
type Tell = { t: 'nameservers'; entries: [string, UpstreamAddr[]][] };

/**
 * A worker thread started after a resolv.conf vanished (one that replaces a crashed worker) finds no
 * nameserver in it, while the rest of the process still forwards to the ones the file last named:
 * its answering part asks the control part for them, so every thread answers alike.
 */
function askNameservers(f: Forward, ctx: SetupContext): void {
  if (f.cfg.resolvConf.unresolved().length === 0) return;
  const ch = typedChannel<Ask, Ask | Tell>(ctx, 'resolvconf');
  ch.onMessage((m) => { if (m.t === 'nameservers') f.adoptNameservers(m.entries); });
  ch.send({ t: 'nameservers?' });
}

function tellNameservers(f: Forward, ctx: SetupContext): void {
  typedChannel<Tell, Ask | Tell>(ctx, 'resolvconf').onMessage((m, reply) => {
    if (m.t === 'nameservers?') reply({ t: 'nameservers', entries: f.cfg.resolvConf.inUse() });
  });
}

/**
 * Two parts. Every answering thread forwards with its own upstream sockets and health state and
 * reads the resolv.conf files itself. The control part reads them too and speaks for the process
 * (in a single thread it is also the one that answers):
 * it logs file changes, keeps the upstreams gauge and /health's degradation (NoUpstreamReport),
 * and hands the nameservers it still uses to a late worker. Each part has its own configuration
 * (its own view of the files), parsed from the directive the same way.
 */
export const definition = parts({
  name: 'forward',
  parse(d, ctx) {
    const serving = ctx.mode !== 'validate';
    const lastGood = serving ? processState(ctx, LAST_GOOD) : undefined;
    const parse = () => parseForward(d, ctx.corefile, { strictFiles: !serving, ...(serving ? { lastGood } : {}) });
    const first = parse();     // the directive's errors, alike in every thread
    let taken = false;
    // `here.f`: the control part's Forward, when this thread also answers (single thread, -validate).
    const here: { f?: Forward } = {};
    return { serving, config: () => (taken ? parse() : (taken = true, first)), here };
  },
  answering({ serving, config, here }, ctx) {
    // In one thread the control part's Forward serves too: one set of sockets and one poller of
    // the files, not two. It started and closes with the control part.
    const own = here.f;
    if (own) return { name: 'forward', serve: (req, next) => own.serve(req, next) };
    const cfg = config();
    const f = new Forward(cfg, ctx.log, timeouts(ctx.env), { pollMs: RESOLV_CONF_POLL_MS, logFileChanges: false });
    if (serving && cfg.files.length > 0) askNameservers(f, ctx);
    return f;
  },
  control({ serving, config, here }, ctx) {
    const cfg = config();
    const report = serving
      ? new NoUpstreamReport({ log: ctx.log, at: cfg.at, from: cfg.from, server: () => ctx.block.server, shared: ctx.shared, pollMs: RESOLV_CONF_POLL_MS })
      : undefined;
    const f = new Forward(cfg, ctx.log, timeouts(ctx.env), { pollMs: RESOLV_CONF_POLL_MS, logFileChanges: true, ...(report ? { report } : {}) });
    if (serving && cfg.files.length > 0) tellNameservers(f, ctx);
    here.f = f;
    return { name: 'forward', start: () => f.start(), close: () => f.close() };
  },
});
