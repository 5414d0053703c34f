// A worker thread that dies of an uncaught exception is a panic nothing recovered: it is counted in
// coredns_panics_total (what the CoreDNSPanics alert watches) and logged, and the worker is replaced.
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { metric, scrape } from './helpers.ts';
import { until } from '../support/wait.ts';

describe('a worker thread that dies', () => {
  it('is counted in coredns_panics_total and logged', async () => {
    const mport = await freePort();
    const s = await startTestServer(`example.org {\n  prometheus 127.0.0.1:${mport}\n  whoami\n}\n`, { workers: 2 });
    try {
      expect(metric(await scrape(mport), 'coredns_panics_total')).toBe(0);
      s.server.crashWorkerForTest!();
      expect(await until(() => s.logs.some((l) => l.includes('worker exited with code 1; starting a new one')), 5000), s.logs.join('\n')).toBe(true);
      expect(s.logs.some((l) => l.startsWith('[ERROR] worker: Error: worker crash requested'))).toBe(true);
      expect(await until(async () => metric(await scrape(mport), 'coredns_panics_total') === 1, 3000)).toBe(true);
    } finally {
      await s.stop();
    }
  }, 20_000);
});
