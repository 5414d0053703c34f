/**
 * prometheus: exports metrics on ADDRESS (default localhost:9153) at /metrics (CoreDNS's
 * plugin/metrics), and records CoreDNS's per-query DNS metrics for its server block. With
 * several workers the scrape merges every worker's counters (prom-client's aggregator).
 */
import type { PluginDefinition } from '../../plugin/contract.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, oncePerBlock } from '../../plugin/args.ts';
import { registry } from '../../metrics/registry.ts';
import { collectProcessMetrics } from '../../metrics/process.ts';
import { report } from '../../metrics/dns.ts';
import { rcodeName } from '../../dns/types.ts';
import { claimRoute, sideAddress } from '../../plugin/side-http.ts';
import { performance } from 'node:perf_hooks';
import { explainRoute, EXPLAIN_BURST, EXPLAIN_RATE, RateLimit } from './explain.ts';

export const definition: PluginDefinition = {
  name: 'prometheus',
  setup(d, ctx) {
    maxArgs(d, 1, 'prometheus [ADDRESS]');
    oncePerBlock(ctx.shared, ctx.block, 'prometheus', d);
    for (const opt of d.block ?? []) {
      if (opt.name === 'runtime_metrics') continue;
      throw CorefileError.at(opt, `prometheus: option '${opt.name}' is not supported — clusterdns serves /metrics over plain HTTP`);
    }
    const addr = sideAddress(d, 'localhost:9153');
    if (ctx.role !== 'control') {
      const info = ctx.block;
      info.observers.push((req, res, size, writer, start) => {
        report(info.server, req.zone, req, rcodeName(res.rcode), writer, size, (performance.now() - start) / 1000);
      });
    }
    let release: (() => Promise<void>) | undefined;
    let releaseExplain: (() => Promise<void>) | undefined;
    return {
      name: 'prometheus',
      async start() {
        if (ctx.role === 'data') return;
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
};
