// A worker thread that dies is replaced: the other worker keeps answering meanwhile, the new one
// binds its own reusePort socket, and queries keep being answered afterwards.
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { query } from '../support/dns-client.ts';
import { freePort } from '../support/ports.ts';
import { until } from '../support/wait.ts';
import { httpGet } from './helpers.ts';

describe('worker threads', () => {
  it('replace a worker that died and keep answering', async () => {
    // /ready says 200 only once every worker listens (a dead one counts as not started until its
    // replacement has bound its socket): the test polls it instead of sleeping.
    const rport = await freePort();
    const s = await startTestServer(`example.org {\n  whoami\n  ready 127.0.0.1:${rport}\n}\n`, { workers: 2 });
    const allListening = () => until(async () => (await httpGet(`http://127.0.0.1:${rport}/ready`).catch(() => ({ status: 0 }))).status === 200, 5000);
    try {
      const ok = async () => (await query(s.port, 'example.org', 'A', { timeoutMs: 1000 })).header.rcode === 0;
      expect(await ok()).toBe(true);
      // Crash one worker, wait for its replacement, then crash the other original one: from then on
      // only replacements can answer, so answers prove a replacement really listens.
      const restarted = (n: number) => until(() => s.logs.filter((l) => l.includes('worker exited with code 1; starting a new one')).length >= n, 5000);
      s.server.crashWorkerForTest!();
      expect(await restarted(1), s.logs.join('\n')).toBe(true);
      expect(s.logs.some((l) => l.startsWith('[ERROR] worker: Error: worker crash requested'))).toBe(true);
      expect(await allListening(), s.logs.join('\n')).toBe(true); // the replacement binds its socket
      s.server.crashWorkerForTest!();
      expect(await restarted(2), s.logs.join('\n')).toBe(true);
      expect(await until(async () => (await Promise.all(Array.from({ length: 10 }, () => ok().catch(() => false)))).every(Boolean), 5000)).toBe(true);
      const all = await Promise.all(Array.from({ length: 40 }, () => ok().catch(() => false)));
      expect(all.filter((x) => !x)).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 20_000);
});
