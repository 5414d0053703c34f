/**
 * ready: GET /ready on ADDRESS (default :8181) answers 200 "OK" once every plugin that can be
 * not-ready (kubernetes before its first list, ...) says it is ready, and 503 naming the ones
 * that are not (CoreDNS's plugin/ready).
 */
import { parts } from '../../plugin/parts.ts';
import { maxArgs, noBlock } from '../../plugin/args.ts';
import { claimRoute, sideAddress } from '../../plugin/side-http.ts';


// One listener per process: only a control part (the control thread, or the single thread).
export const definition = parts({
  name: 'ready',
  parse(d) {
    maxArgs(d, 1, 'ready [ADDRESS]');
    noBlock(d, 'ready [ADDRESS]');
    return sideAddress(d, ':8181');
  },
  control(addr, ctx) {
    let release: (() => Promise<void>) | undefined;
    return {
      name: 'ready',
      async start() {
        const plugins = ctx.server.generationPlugins();
        release = await claimRoute(addr, '/ready', (_req, res) => {
          if (ctx.server.shuttingDown()) {
            res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('Shutting down');
            return;
          }
          const here = plugins.filter((p) => p.ready && !p.ready()).map((p) => p.name);
          void ctx.server.notReadyElsewhere().then((there) => {
            const waiting = [...new Set([...here, ...there])].sort();
            if (waiting.length === 0) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK');
            else {
              // As CoreDNS: names sorted and joined by ",", and logged at each poll.
              const todo = waiting.join(',');
              ctx.log.info(`Still waiting on: "${todo}"`);
              res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(todo);
            }
          });
        });
      },
      async close() { await release?.(); },
    };
  },
});
