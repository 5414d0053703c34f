/**
 * prometheus: exports metrics on ADDRESS (default localhost:9153) at /metrics (CoreDNS's
 * plugin/metrics), and records CoreDNS's per-query DNS metrics for its server block. With
 * several workers the scrape merges every worker's counters (prom-client's aggregator).
 */
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs } from '../../plugin/args.ts';
import { parts } from '../../plugin/parts.ts';
import { registry } from '../../metrics/registry.ts';
import { collectProcessMetrics } from '../../metrics/process.ts';
import { reporterFor, type Reporter } from '../../metrics/dns.ts';
import { claimRoute, sideAddress } from '../../plugin/side-http.ts';
import { performance } from 'node:perf_hooks';
import { explainRoute, EXPLAIN_BURST, EXPLAIN_RATE, RateLimit } from './explain.ts';

// Two parts: every answering thread counts its responses; the control side serves the merged /metrics.
export const definition = parts({
  name: 'prometheus',
  oncePerBlock: true,
  parse(d) {
    maxArgs(d, 1, 'prometheus [ADDRESS]');
    for (const opt of d.block ?? []) {
      if (opt.name === 'runtime_metrics') continue;
      throw CorefileError.at(opt, `prometheus: option '${opt.name}' is not supported — clusterdns serves /metrics over plain HTTP`);
    }
    return sideAddress(d, 'localhost:9153');
  },
  answering(_addr, ctx) {
    const info = ctx.block;
    // Found at the first answer, once every plugin of the block is set up: the server's label
    // depends on the listen addresses, which bind sets.
    let report: Reporter | undefined;
    info.observers.push((req, res, size, writer, start) => {
      (report ??= reporterFor(info.server))(req.zone, req, res.rcode, writer, size, (performance.now() - start) / 1000);
    });
    return { name: 'prometheus' };
  },
  control(addr, ctx) {
    let release: (() => Promise<void>) | undefined;
    let releaseExplain: (() => Promise<void>) | undefined;
    return {
      name: 'prometheus',
      async start() {
        collectProcessMetrics(registry);
        release = await claimRoute(addr, '/metrics', (_req, res) => {
          ctx.server.metrics().then(({ text, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(text),
            (e: unknown) => res.writeHead(500).end(String(e)));
        });
        ctx.log.info(`Serving metrics on ${addr}/metrics`);
        releaseExplain = await claimRoute(addr, '/explain', explainRoute(ctx.server, ctx.block.port, new RateLimit(EXPLAIN_RATE, EXPLAIN_BURST)));
      },
      async close() { await releaseExplain?.(); await release?.(); },
    };
  },
});
