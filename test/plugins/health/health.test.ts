// health: GET /health → 200 "OK" on its own address, 404 elsewhere, and no blink across reloads.
// (lameduck on shutdown is tested through the CLI in test/cli.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/ports.ts';
import { query } from '../../support/dns-client.ts';
import { httpGet } from '../../server/helpers.ts';
import { until } from '../../support/wait.ts';

describe('health', () => {
  let s: TestServer;
  let hport: number;
  const corefile = (v: string) => `. {\n  chaos ${v}\n  whoami\n  health 127.0.0.1:${hport} {\n    lameduck 1s\n  }\n}\n`;
  beforeAll(async () => {
    hport = await freePort();
    s = await startTestServer(corefile('v1'));
  });
  afterAll(() => s.stop());

  it('answers 200 OK', async () => {
    const r = await httpGet(`http://127.0.0.1:${hport}/health`);
    expect(r).toMatchObject({ status: 200, body: 'OK' });
    expect((await httpGet(`http://127.0.0.1:${hport}/health?x=1`)).status).toBe(200);
    expect((await httpGet(`http://127.0.0.1:${hport}/ready`)).status).toBe(404);
  });

  it('stays 200 through reloads (the new generation claims the route before the old lets go)', async () => {
    const statuses: number[] = [];
    let stop = false;
    const poller = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) statuses.push((await httpGet(`http://127.0.0.1:${hport}/health`)).status);
    })();
    for (let i = 0; i < 10; i++) expect(await s.reload(corefile(`v${i + 2}`))).toBe(true);
    stop = true;
    await poller;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((x) => x !== 200)).toEqual([]);
    const v = await query(s.port, 'version.bind', 'TXT', { class: 3 });
    expect(v.answers[0]!.data).toEqual(['v11']);
  });

  it('rejects a bad address or option with FILE:LINE', async () => {
    for (const bad of ['health 127.0.0.1:99999', 'health {\n    lameduck soon\n  }', 'health {\n    nope 1s\n  }']) {
      const ok = await s.reload(`. {\n  whoami\n  ${bad}\n}\n`);
      expect(ok).toBe(false);
      expect(s.logs.at(-1)).toMatch(new RegExp(`^\\[ERROR\\] Restart failed: ${s.corefilePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: (health|lameduck)`));
    }
    expect((await httpGet(`http://127.0.0.1:${hport}/health`)).status).toBe(200);
  });
});

describe('health lameduck and reload', () => {
  it('a reload to a Corefile without health drops the lameduck: stop does not wait', async () => {
    const hport = await freePort();
    const t = await startTestServer(`. {\n  whoami\n  health 127.0.0.1:${hport} {\n    lameduck 3s\n  }\n}\n`);
    expect(await t.reload('. {\n  whoami\n}\n')).toBe(true);
    await t.stop();
    expect(t.logs.filter((l) => l.includes('lameduck'))).toEqual([]);
  });

  it('a reload that changes the lameduck uses the new one on stop', async () => {
    const hport = await freePort();
    const text = (d: string) => `. {\n  whoami\n  health 127.0.0.1:${hport} {\n    lameduck ${d}\n  }\n}\n`;
    const t = await startTestServer(text('3s'));
    expect(await t.reload(text('100ms'))).toBe(true);
    await t.stop();
    expect(t.logs.filter((l) => l.includes('lameduck'))).toEqual(['[INFO] plugin/health: Going into lameduck mode for 100ms']);
  });
});

describe('health self-check metrics', () => {
  it('asks its own /health every second and exports the duration, as CoreDNS', async () => {
    const [hport, mport] = [await freePort(), await freePort()];
    const t = await startTestServer(`. {\n  whoami\n  prometheus 127.0.0.1:${mport}\n  health 127.0.0.1:${hport}\n}\n`);
    try {
      const count = async () => {
        const text = (await httpGet(`http://127.0.0.1:${mport}/metrics`)).body;
        return Number(/^coredns_health_request_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? 0);
      };
      expect(await until(async () => (await count()) >= 1, 4000)).toBe(true);
      const text = (await httpGet(`http://127.0.0.1:${mport}/metrics`)).body;
      expect(text).toMatch(/^coredns_health_request_failures_total 0$/m);
      expect(text).toContain('coredns_health_request_duration_seconds_bucket{le="0.00025"}');
    } finally {
      await t.stop();
    }
  });
});

