// Reloads with worker threads are all-or-nothing: every thread prepares the new generation beside
// the serving one, and only when all did does any switch. When one worker fails (here: a snippet
// file that changed between the control side's read and a slower worker's read, or a worker that
// does not answer in time) every thread keeps the old generation, what was built is closed on
// every side (the new control source's API watches, side listeners and the new DNS listeners the
// other worker had opened), and the failure is logged with FILE:LINE and counted. When all succeed,
// every previous generation is closed: the control's (its API watches and its hosts file watcher,
// the one thread that reads the file and publishes it to the workers). And fatal events are handed to the embedder: the process keeps running.
//
// The slow worker comes from ServerOptions.reloadFaultForTest (a delay before that worker builds
// the generation); the failures themselves are real: a Corefile import the worker reads from disk.
import net from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { FakeApiServer, namespace, service } from '../support/fake-apiserver.ts';
import { tempDir } from '../support/k8s-fixtures.ts';
import { holds, until } from '../support/wait.ts';
import { httpGet, metric, scrape } from './helpers.ts';
import type { FatalEvent } from '../../src/server/index.ts';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Whether something accepts TCP connections on 127.0.0.1:port. */
const accepts = (port: number) => new Promise<boolean>((resolve) => {
  const c = net.connect(port, '127.0.0.1');
  c.once('connect', () => { c.destroy(); resolve(true); });
  c.once('error', () => resolve(false));
});
/** The chaos version.bind answer of `n` queries, each from its own socket (so both workers answer some). */
const versions = async (port: number, n = 20) =>
  (await Promise.all(Array.from({ length: n }, () => query(port, 'version.bind', 'TXT', { class: 3 })))).map((r) => r.answers[0]?.data?.[0]);

let api: FakeApiServer;
let kubeconfig: string;
beforeAll(async () => {
  api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('default'));
  api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
  kubeconfig = api.writeKubeconfig(tempDir());
});
afterAll(() => api?.close());

const servers: TestServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.stop(); });

describe('reload with workers: all or nothing', () => {
  it('one worker cannot prepare (a file it reads differs): every thread keeps the old generation, the new one is closed everywhere', async () => {
    const [mport, hport, p2] = [await freePort(), await freePort(), await freePort()];
    const v1 = `. {\n  chaos v1\n  prometheus 127.0.0.1:${mport}\n  kubernetes cluster.local {\n    kubeconfig ${kubeconfig}\n  }\n}\n`;
    // v2: chaos from a snippet file, a new health listener (control side), a source with other
    // options (3 more watches), and a new DNS port (opened by each worker while it prepares).
    const v2 = `. {\n  import extra.conf\n  prometheus 127.0.0.1:${mport}\n  health 127.0.0.1:${hport}\n` +
      `  kubernetes cluster.local {\n    kubeconfig ${kubeconfig}\n    namespaces default\n  }\n}\n.:${p2} {\n  whoami\n}\n`;
    const s = await startTestServer(v1, { workers: 2, files: { 'extra.conf': 'chaos v2\n' }, reloadFaultForTest: { worker: 1, delayMs: 1_500 } });
    servers.push(s);
    expect(await until(() => api.openWatches() === 3, 5_000)).toBe(true);
    expect(await versions(s.port)).toEqual(Array(20).fill('v1'));

    const failed0 = metric(await scrape(mport), 'coredns_reload_failed_total');   // one registry per process: count from here
    const n = s.logs.length;
    const reloading = s.reload(v2);
    // The control side built v2 (and started its source) and worker 0 prepared it (it listens on
    // the new port); worker 1 waits. Now the snippet changes on disk before worker 1 reads it.
    expect(await until(() => accepts(p2), 5_000), s.logs.join('\n')).toBe(true);
    await writeFile(`${s.dir}/extra.conf`, 'chaos v2\n  nosuchplugin\n');
    expect(await reloading).toBe(false);

    const errors = s.logs.slice(n).filter((l) => l.startsWith('[ERROR] Restart failed: '));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^\\[ERROR\\] Restart failed: ${esc(s.dir)}/extra\\.conf:2: unknown directive 'nosuchplugin'`))]);
    expect(s.logs.slice(n)).not.toContain('[INFO] Reloading complete');
    // Nothing of v2 is left: not worker 0's listener, not the control's health listener or the
    // watches of its source (which did start: it asked for the Services of namespace default).
    expect(api.requests.some((r) => r.watch && r.path === '/api/v1/namespaces/default/services')).toBe(true);
    expect(await accepts(p2)).toBe(false);
    expect(await httpGet(`http://127.0.0.1:${hport}/health`, 500).then(() => true, () => false)).toBe(false);
    expect(await until(() => api.openWatches() === 3, 5_000), `open watches: ${api.openWatches()}`).toBe(true);
    // Every thread still answers from v1, and the old prometheus counts the failure.
    expect(await versions(s.port)).toEqual(Array(20).fill('v1'));
    expect(metric(await scrape(mport), 'coredns_reload_failed_total')).toBe(failed0 + 1);

    // The same change, with the snippet as the control side read it, then goes through everywhere.
    await writeFile(`${s.dir}/extra.conf`, 'chaos v2\n');
    expect(await s.reload(v2)).toBe(true);
    expect(await versions(s.port)).toEqual(Array(20).fill('v2'));
    expect(await accepts(p2)).toBe(true);
    expect(await until(() => api.openWatches() === 3, 5_000), `open watches: ${api.openWatches()}`).toBe(true);
  }, 30_000);

  it('a worker that does not prepare in time fails the reload, and what it builds later is closed', async () => {
    const [mport, p2] = [await freePort(), await freePort()];
    const v = (x: string, extra = '') => `. {\n  chaos ${x}\n  prometheus 127.0.0.1:${mport}\n}\n${extra}`;
    const s = await startTestServer(v('v1'), { workers: 2, reloadTimeoutMs: 300, reloadFaultForTest: { worker: 0, delayMs: 1_500 } });
    servers.push(s);
    const failed0 = metric(await scrape(mport), 'coredns_reload_failed_total');
    const n = s.logs.length;
    expect(await s.reload(v('v2', `.:${p2} {\n  whoami\n}\n`))).toBe(false);
    expect(s.logs.slice(n).filter((l) => l.startsWith('[ERROR] Restart failed: '))).toEqual([
      '[ERROR] Restart failed: a worker did not prepare the new Corefile within 0.3s',
    ]);
    expect(await versions(s.port)).toEqual(Array(20).fill('v1'));
    expect(await accepts(p2)).toBe(false);
    expect(await holds(async () => !(await accepts(p2)), 300)).toBe(true);
    expect(metric(await scrape(mport), 'coredns_reload_failed_total')).toBe(failed0 + 1);
  }, 20_000);

  it('a worker that dies during a reload is replaced on the generation the others switched to', async () => {
    const [rport, p2] = [await freePort(), await freePort()];
    const v = (x: string, extra = '') => `. {\n  chaos ${x}\n  ready 127.0.0.1:${rport}\n}\n${extra}`;
    const s = await startTestServer(v('v1'), { workers: 2, reloadFaultForTest: { worker: 1, delayMs: 1_500 } });
    servers.push(s);
    const reloading = s.reload(v('v2', `.:${p2} {\n  whoami\n}\n`));
    expect(await until(() => accepts(p2), 5_000)).toBe(true);   // worker 0 prepared; worker 1 waits
    s.server.crashWorkerForTest!();                              // worker 0 dies before the commit
    expect(await reloading).toBe(true);
    expect(await until(() => s.logs.some((l) => l.includes('; starting a new one')), 5_000)).toBe(true);
    // /ready says 200 once every worker (the replacement too) listens; then every answer is v2.
    expect(await until(async () => (await httpGet(`http://127.0.0.1:${rport}/ready`, 500).catch(() => ({ status: 0 }))).status === 200, 5_000)).toBe(true);
    expect(await versions(s.port, 40)).toEqual(Array(40).fill('v2'));
    expect(s.logs.filter((l) => l.includes('was not prepared'))).toEqual([]);
  }, 20_000);

  it('when every thread prepares, all switch and every previous generation is closed (control watches, hosts watcher)', async () => {
    const mport = await freePort();
    const v = (x: string, hosts: string, ns: string) => `. {\n  debug\n  chaos ${x}\n  prometheus 127.0.0.1:${mport}\n` +
      `  hosts ${hosts} {\n    reload 100ms\n    fallthrough\n  }\n  kubernetes cluster.local {\n    kubeconfig ${kubeconfig}\n${ns}  }\n}\n`;
    const dir = tempDir();
    await writeFile(`${dir}/a.hosts`, '10.0.0.1 a1\n');
    await writeFile(`${dir}/b.hosts`, '10.0.0.2 b1\n');
    const s = await startTestServer(v('v1', `${dir}/a.hosts`, ''), { workers: 2 });
    servers.push(s);
    expect(await until(() => api.openWatches() === 3, 5_000)).toBe(true);
    const failed0 = metric(await scrape(mport), 'coredns_reload_failed_total');
    // The control thread's hosts plugin watches a.hosts: a change is parsed (and logged) there
    // once, and both workers answer from the table it publishes.
    const parsed = (entries: number) => s.logs.filter((l) => l === `[DEBUG] plugin/hosts: Parsed hosts file into ${entries} entries`).length;
    await writeFile(`${dir}/a.hosts`, '10.0.0.1 a1\n10.0.0.3 a3\n');
    expect(await until(() => parsed(2) === 1, 5_000), s.logs.join('\n')).toBe(true);
    const a3 = async () => (await Promise.all(Array.from({ length: 20 }, () => query(s.port, 'a3', 'A')))).map((r) => r.answers[0]?.address);
    expect(await until(async () => (await a3()).every((a) => a === '10.0.0.3'), 5_000)).toBe(true);

    expect(await s.reload(v('v2', `${dir}/b.hosts`, '    namespaces default\n'))).toBe(true);
    expect(await versions(s.port)).toEqual(Array(20).fill('v2'));
    // The control's previous generation closed its source: 3 watches again, not 6.
    expect(await until(() => api.openWatches() === 3, 5_000), `open watches: ${api.openWatches()}`).toBe(true);
    // No thread's previous generation still watches a.hosts.
    await writeFile(`${dir}/a.hosts`, '10.0.0.1 a1\n10.0.0.3 a3\n10.0.0.4 a4\n');
    expect(await holds(() => parsed(3) === 0, 1_000)).toBe(true);
    expect(metric(await scrape(mport), 'coredns_reload_failed_total')).toBe(failed0);
  }, 30_000);
});

describe('fatal events with workers', () => {
  it('a replacement that cannot load the Corefile is retried within the limit, then a fatal event for the embedder: the process lives, the other worker answers', async () => {
    const events: FatalEvent[] = [];
    const s = await startTestServer(`. {\n  import extra.conf\n}\n`, { workers: 2, files: { 'extra.conf': 'chaos v1\n' }, onFatal: (e) => events.push(e) });
    servers.push(s);
    await rm(`${s.dir}/extra.conf`);
    s.server.crashWorkerForTest!();
    // The crashed worker and 5 replacements died: no sixth replacement, a fatal event instead.
    const event = await s.server.fatal;
    expect(event).toEqual({ kind: 'workers', line: '[ERROR] worker exited with code 1; 5 workers died within a minute, giving up' });
    expect(events).toEqual([event]);
    expect(s.logs).toContain(event.line);
    expect(s.logs.filter((l) => l.includes('; starting a new one'))).toHaveLength(5);
    const failed = s.logs.filter((l) => l.startsWith('[ERROR] replacing a worker failed: '));
    expect(failed).toHaveLength(5);
    expect(failed[0]).toContain(`${s.dir}/Corefile:2: `);
    // The process lives on (the embedder decides), and the worker that kept its generation answers.
    expect(process.exitCode ?? 0).toBe(0);
    expect(await versions(s.port, 10)).toEqual(Array(10).fill('v1'));
  }, 40_000);
});
