/**
 * health: GET /health on ADDRESS (default :8080) answers 200 "OK" while the process is up
 * (CoreDNS's plugin/health). `lameduck DURATION`: on shutdown /ready turns 503 "Shutting down" and /health stays 200
 * while DNS keeps answering for DURATION, so load balancers drain the pod first.
 * While a plugin reports a degradation (src/plugin/degraded.ts: forward without an upstream), the
 * body is one "Degraded: ..." line each instead of "OK", still with 200: a liveness probe that
 * failed would restart the pod, which cannot bring a missing resolv.conf back.
 */
import { parts } from '../../plugin/parts.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, parseDuration, unknownOption } from '../../plugin/args.ts';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { claimRoute, sideAddress, splitHostPort } from '../../plugin/side-http.ts';
import { counter, histogram, SLIM_TIME_BUCKETS } from '../../metrics/registry.ts';
import { degradations } from '../../plugin/degraded.ts';

// One listener per process: only a control part (the control thread, or the single thread).
export const definition = parts({
  name: 'health',
  parse(d) {
    maxArgs(d, 1, 'health [ADDRESS] { lameduck DURATION }');
    const addr = sideAddress(d, ':8080');
    let lameduckMs = 0;
    for (const opt of d.block ?? []) {
      if (opt.name !== 'lameduck') unknownOption(d, opt, ['lameduck']);
      if (opt.args.length !== 1) throw CorefileError.at(opt, 'health: lameduck needs one DURATION, e.g. lameduck 5s');
      lameduckMs = parseDuration(opt, opt.args[0]!, 'lameduck duration');
    }
    return { addr, lameduckMs };
  },
  control({ addr, lameduckMs }, ctx) {
    let release: (() => Promise<void>) | undefined;
    let ticker: NodeJS.Timeout | undefined;
    let dropLameduck: (() => void) | undefined;
    return {
      name: 'health',
      async start() {
        dropLameduck = ctx.server.setLameduck(lameduckMs);
        release = await claimRoute(addr, '/health', (_req, res) => {
          // As CoreDNS: /health stays 200 during lameduck; it is /ready that turns 503 (ready plugin).
          const degraded = degradations(ctx);
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
            .end(degraded.length === 0 ? 'OK' : degraded.map((d) => `Degraded: ${d}\n`).join(''));
        });
        // As CoreDNS: ask our own /health once a second and export how long it took, a sign of an
        // overloaded process (the event loop answers it between queries).
        const { host, port } = splitHostPort(addr);
        const url = `http://${host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host}:${port}/health`;
        const duration = histogram('coredns_health_request_duration_seconds', 'Histogram of the time (in seconds) each request took.', [], SLIM_TIME_BUCKETS);
        const failures = counter('coredns_health_request_failures_total', 'The number of times the health check failed.');
        ticker = setInterval(() => {
          const start = performance.now();
          const req = http.get(url, { agent: false, timeout: 3_000 }, (res) => {
            res.resume();
            res.on('end', () => {
              const secs = (performance.now() - start) / 1000;
              duration.observe(secs);
              if (secs > 1) ctx.log.warning(`Local health request to "${url}" took more than 1s: ${secs.toFixed(3)}s`);
            });
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', (e) => {
            duration.observe((performance.now() - start) / 1000);
            failures.inc();
            ctx.log.warning(`Local health request to "${url}" failed: ${e.message}`);
          });
        }, 1_000);
        ticker.unref();
      },
      async close() {
        clearInterval(ticker);
        // A reload to a Corefile without health must not keep this lameduck for the shutdown.
        dropLameduck?.();
        await release?.();
      },
    };
  },
});
