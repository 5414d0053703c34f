/**
 * Run by unroutable.test.ts inside a network namespace that has only `lo` with IPv6 disabled (an
 * IPv4-only pod whose resolv.conf names an IPv6 server): a real server with two worker threads,
 * `forward . [::1]:5300 127.0.0.1:UPSTREAM`, real clients over UDP (c-ares) and TCP, /metrics.
 * Prints one JSON line with what it saw; the test makes the assertions.
 */
import { startServer } from '../../../src/server/index.ts';
import { Upstream } from '../../support/upstream.ts';
import { freePort } from '../../support/ports.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { metric, scrape } from '../../server/helpers.ts';
import { sleep } from '../../support/wait.ts';

const up = await Upstream.start();
up.add({ name: 'a.example.', type: 'A', ttl: 60, data: '192.0.2.7' });
const [port, metricsPort] = [await freePort(), await freePort()];
const logs: string[] = [];
const corefile = `.:${port} {
  errors
  prometheus 127.0.0.1:${metricsPort}
  forward . [::1]:5300 ${up.address} {
    health_check 100ms
  }
}
only6.test:${port} {
  errors
  forward . [::1]:5300
}
`;
const server = await startServer({
  corefilePath: '/tmp/Corefile', corefileText: corefile, workers: 2, quiet: true,
  sink: { write: (l) => { logs.push(l); } },
});
const r = resolver(port, { timeout: 3000, tries: 1 });
const ask = async (n: number) => {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    try { if ((await r.resolve4('a.example')).join() === '192.0.2.7') ok++; } catch { /* counted as not ok */ }
  }
  return ok;
};
const udpOk = await ask(20);
let tcpOk = 0;
for (let i = 0; i < 5; i++) {
  try {
    const a = await query(port, 'a.example', 'A', { protocol: 'tcp', timeoutMs: 3000 });
    if (a.header.rcode === 0 && a.answers[0]?.address === '192.0.2.7') tcpOk++;
  } catch { /* not ok */ }
}
let only6Rcode = -1;
try { only6Rcode = (await query(port, 'x.only6.test', 'A', { timeoutMs: 6000 })).header.rcode; } catch { /* no answer */ }
await sleep(800); // health checks every 100 ms: more than max_fails (2) failures mark [::1]:5300 down
const before = await scrape(metricsPort);
const udpOkLater = await ask(20);
const after = await scrape(metricsPort);
const to6 = { to: '[::1]:5300' };
const out = {
  udpOk, tcpOk, only6Rcode, udpOkLater,
  requests6Before: metric(before, 'coredns_forward_requests_total', to6),
  requests6After: metric(after, 'coredns_forward_requests_total', to6),
  hcFailures6: metric(after, 'coredns_forward_healthcheck_failures_total', to6),
  panics: metric(after, 'coredns_panics_total'),
  logs,
};
await server.stop();
await up.close();
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
