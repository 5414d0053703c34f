// Reload: a changed Corefile takes over without closing the port; a broken one leaves the old
// one serving with `[ERROR] Restart failed: FILE:LINE: ...` and coredns_reload_failed_total;
// queries during reloads are all answered; reloads release what they opened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { query, TYPE } from '../support/dns-client.ts';
import { httpGet, metric, openFds, scrape } from './helpers.ts';
import { sleep, until } from '../support/wait.ts';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('reload', () => {
  let s: TestServer;
  let mport: number, hport: number;
  const base = () => `  prometheus 127.0.0.1:${mport}\n  health 127.0.0.1:${hport}\n`;
  const whoami = () => `. {\n  whoami\n${base()}}\n`;
  const chaos = (v: string) => `. {\n  chaos ${v}\n${base()}}\n`;
  beforeAll(async () => {
    [mport, hport] = [await freePort(), await freePort()];
    s = await startTestServer(whoami());
  });
  afterAll(() => s.stop());

  const version = async () => (await query(s.port, 'version.bind', 'TXT', { class: 3 }));

  it('switches to the new Corefile (whoami → chaos) on the same port', async () => {
    expect((await query(s.port, 'example.org', 'A')).additionals.some((x) => x.type === TYPE.SRV)).toBe(true);
    expect(await s.reload(chaos('v-one'))).toBe(true);
    const v = await version();
    expect(v.header.rcode).toBe(0);
    expect(v.answers[0]!.data).toEqual(['v-one']);
    // whoami is gone: an IN query now reaches the end of the chain
    expect((await query(s.port, 'example.org', 'A')).header.rcode).toBe(2);
    expect(s.logs).toContain('[INFO] Reloading complete');
    // unchanged content: nothing to do
    expect(await s.reload()).toBe(false);
  });

  it('keeps the running Corefile when the new one is broken, logs FILE:LINE, counts the failure', async () => {
    await s.reload(chaos('v-good'));
    const failed0 = metric(await scrape(mport), 'coredns_reload_failed_total');
    const cases = [
      `. {\n  chaos v-bad\n  nosuchplugin\n${base()}}\n`,                       // unknown directive, line 3
      `. {\n  chaos v-bad\n  whoami extra-arg\n${base()}}\n`,                   // bad option, line 3
      `. {\n  chaos v-bad\n${base()}\n`,                                        // unbalanced brace
      `. {\n  chaos v-bad\n${base()}}\n. {\n  whoami\n}\n`,                     // same zone twice on one port
    ];
    for (const [i, text] of cases.entries()) {
      const n = s.logs.length;
      expect(await s.reload(text)).toBe(false);
      const errs = s.logs.slice(n).filter((l) => l.startsWith('[ERROR] Restart failed: '));
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatch(new RegExp(`^\\[ERROR\\] Restart failed: ${esc(s.corefilePath)}:\\d+: `));
      if (i < 2) expect(errs[0]).toContain(`${s.corefilePath}:3: `);
      expect((await version()).answers[0]!.data).toEqual(['v-good']);
    }
    expect(metric(await scrape(mport), 'coredns_reload_failed_total')).toBe(failed0 + cases.length);
    expect((await httpGet(`http://127.0.0.1:${hport}/health`)).status).toBe(200);
  });

  it('keeps serving when the new Corefile wants a port that is taken', async () => {
    await s.reload(chaos('v-port'));
    const busy = dgram.createSocket('udp4');
    const busyPort = await freePort();
    await new Promise<void>((r) => busy.bind(busyPort, '0.0.0.0', () => r()));
    try {
      const n = s.logs.length;
      expect(await s.reload(`.:${busyPort} {\n  chaos v-never\n${base()}}\n`)).toBe(false);
      expect(s.logs.slice(n).some((l) => l.startsWith('[ERROR] Restart failed: ') && l.includes(String(busyPort)))).toBe(true);
      expect((await version()).answers[0]!.data).toEqual(['v-port']);
    } finally {
      busy.close();
    }
  });

  it('keeps the old generation serving when a new plugin fails to start (side port taken)', async () => {
    await s.reload(chaos('v-before-start-failure'));
    const net = await import('node:net');
    const blocker = net.createServer();
    const busy = await freePort();
    await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', () => r()));
    try {
      const n = s.logs.length;
      expect(await s.reload(`. {\n  chaos v-never-started\n  prometheus 127.0.0.1:${busy}\n  health 127.0.0.1:${hport}\n}\n`)).toBe(false);
      expect(s.logs.slice(n).some((l) => l.startsWith('[ERROR] Restart failed: ') && l.includes(String(busy)))).toBe(true);
      expect((await version()).answers[0]!.data).toEqual(['v-before-start-failure']);
      expect((await scrape(mport)).length).toBeGreaterThan(0); // the old prometheus still serves
      // and the next good reload works
      expect(await s.reload(chaos('v-after-start-failure'))).toBe(true);
      expect((await version()).answers[0]!.data).toEqual(['v-after-start-failure']);
    } finally {
      blocker.close();
    }
  });

  it('moves to a new port and closes the old one', async () => {
    const p2 = await freePort();
    expect(await s.reload(`.:${p2} {\n  chaos v-moved\n${base()}}\n`)).toBe(true);
    expect((await query(p2, 'version.bind', 'TXT', { class: 3 })).answers[0]!.data).toEqual(['v-moved']);
    await expect(query(s.port, 'version.bind', 'TXT', { class: 3, timeoutMs: 300 })).rejects.toThrow(/no answer/);
    expect(await s.reload(chaos('v-back'))).toBe(true);
    expect((await version()).answers[0]!.data).toEqual(['v-back']);
    await expect(query(p2, 'version.bind', 'TXT', { class: 3, timeoutMs: 300 })).rejects.toThrow(/no answer/);
  });

  it('runs one reload at a time: a burst of requests shares the one waiting to start', async () => {
    await s.reload(chaos('v-burst'));
    const complete = () => s.logs.filter((l) => l.includes('Reloading complete')).length;
    const before = complete();
    const burst = await Promise.all(Array.from({ length: 10 }, () => s.server.reload({ force: true })));
    expect(burst).toEqual(Array(10).fill(true));
    expect(complete()).toBe(before + 1);
    expect((await version()).answers[0]?.data).toEqual(['v-burst']);
    // and the next request after the burst runs again
    expect(await s.server.reload({ force: true })).toBe(true);
    expect(complete()).toBe(before + 2);
  });

  it('answers every query sent while 20 reloads happen (0 lost)', async () => {
    let done = false;
    let sent = 0, answered = 0;
    const lost: string[] = [];
    const seen = new Set<string>();
    const client = async (k: number) => {
      for (let i = 0; i < 5000 && !done; i++) {
        sent++;
        try {
          const r = await query(s.port, 'version.bind', 'TXT', { class: 3, protocol: k === 0 ? 'tcp' : 'udp', timeoutMs: 1500 });
          if (r.header.rcode === 0) { answered++; seen.add(String(r.answers[0]!.data)); } else lost.push(`rcode ${r.header.rcode}`);
        } catch (e) {
          lost.push(String(e));
        }
      }
    };
    const clients = [client(0), client(1), client(2)];
    for (let i = 0; i < 20; i++) {
      expect(await s.reload(chaos(`v-loop-${i}`))).toBe(true);
      await sleep(10);
    }
    done = true;
    await Promise.all(clients);
    expect(lost).toEqual([]);
    expect(answered).toBe(sent);
    expect(sent).toBeGreaterThan(20);
    expect(seen.size).toBeGreaterThan(1); // the answers did change under the clients
  });

  it('100 reloads release what they open (file descriptors and handles return to their level)', async () => {
    await s.reload(chaos('leak-warmup-a'));
    await s.reload(chaos('leak-warmup-b'));
    await sleep(100);
    const fds0 = openFds();
    const handles0 = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    for (let i = 0; i < 100; i++) expect(await s.reload(i % 2 ? whoami() : chaos(`leak-${i}`))).toBe(true);
    await s.reload(chaos('leak-warmup-b'));
    const settled = await until(() => openFds() <= fds0 + 2, 3000);
    const handles1 = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    expect(settled, `fds ${fds0} → ${openFds()}`).toBe(true);
    expect(handles1).toBeLessThanOrEqual(handles0 + 2);
    expect((await version()).answers[0]!.data).toEqual(['leak-warmup-b']);
    expect((await httpGet(`http://127.0.0.1:${hport}/health`)).status).toBe(200);
    expect(metric(await scrape(mport), 'coredns_reload_version_info')).toBe(1); // one version at a time
  });
});
