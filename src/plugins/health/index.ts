/**
 * health: GET /health on ADDRESS (default :8080) answers 200 "OK" while the process is up
 * (CoreDNS's plugin/health). `lameduck DURATION`: on shutdown /health turns unhealthy (503)
 * while DNS keeps answering for DURATION, so load balancers drain the pod first.
 */
import type { PluginDefinition } from '../../plugin/contract.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, parseDuration, unknownOption } from '../../plugin/args.ts';
import { claimRoute, splitHostPort } from '../../server/http.ts';
import { SHARED } from '../../server/shared.ts';

export const definition: PluginDefinition = {
  name: 'health',
  setup(d, ctx) {
    maxArgs(d, 1, 'health [ADDRESS] { lameduck DURATION }');
    let addr = d.args[0] ?? ':8080';
    if (!addr.includes(':')) addr = `${addr}:8080`;
    try { splitHostPort(addr); } catch (e) { throw CorefileError.at(d, `health: invalid address "${addr}": ${(e as Error).message} — use HOST:PORT, e.g. :8080`); }
    let lameduckMs = 0;
    for (const opt of d.block ?? []) {
      if (opt.name !== 'lameduck') unknownOption(d, opt, ['lameduck']);
      if (opt.args.length !== 1) throw CorefileError.at(opt, 'health: lameduck needs one DURATION, e.g. lameduck 5s');
      lameduckMs = parseDuration(opt, opt.args[0]!, 'lameduck duration');
    }
    let healthy = true;
    let release: (() => Promise<void>) | undefined;
    const lameduck = { ms: lameduckMs, begin: () => { healthy = false; } };
    return {
      name: 'health',
      async start() {
        if (ctx.role === 'data') return;
        ctx.shared.set(SHARED.lameduck, lameduck);
        release = await claimRoute(addr, '/health', (_req, res) => {
          if (healthy) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK');
          else res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('lameduck');
        });
      },
      async close() {
        // A reload to a Corefile without health must not keep this lameduck for the shutdown.
        if (ctx.shared.get(SHARED.lameduck) === lameduck) ctx.shared.delete(SHARED.lameduck);
        await release?.();
      },
    };
  },
};
