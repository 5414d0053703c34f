// ready: GET /ready → 200 "OK" when every plugin that can be not-ready is ready, 503 naming
// those that are not (driven here with a stand-in plugin that reports ready() = false).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/ports.ts';
import { httpGet } from '../../server/helpers.ts';
import { definition } from '../../../src/plugins/ready/index.ts';
import { SHARED } from '../../../src/server/shared.ts';
import type { Plugin, SetupContext } from '../../../src/plugin/contract.ts';
import { setupContext } from '../../support/setup-context.ts';

const lines: string[] = [];
function ctx(shared: Map<string, unknown>): SetupContext {
  const c = setupContext(['.'], 'single', { shared });
  return { ...c, log: { ...c.log, info: (m) => lines.push(m) } };
}

describe('ready', () => {
  let s: TestServer;
  let rport: number;
  beforeAll(async () => {
    rport = await freePort();
    s = await startTestServer(`. {\n  whoami\n  ready 127.0.0.1:${rport}\n}\n`);
  });
  afterAll(() => s.stop());

  it('answers 200 OK on a server whose plugins are all ready', async () => {
    expect(await httpGet(`http://127.0.0.1:${rport}/ready`)).toMatchObject({ status: 200, body: 'OK' });
    expect((await httpGet(`http://127.0.0.1:${rport}/health`)).status).toBe(404);
  });

  it('answers 503 naming the plugins that are not ready, then 200 once they are', async () => {
    const port = await freePort();
    let k8s = false, other = false;
    const shared = new Map<string, unknown>();
    const plugins: Plugin[] = [
      { name: 'whoami' },
      { name: 'kubernetes', ready: () => k8s },
      { name: 'kubernetes', ready: () => k8s }, // two blocks: named once
      { name: 'aaa', ready: () => other },
    ];
    shared.set(SHARED.generationPlugins, plugins);
    const p = await definition.setup({ name: 'ready', args: [`127.0.0.1:${port}`], file: 'Corefile', line: 3, block: null }, ctx(shared));
    await p.start!();
    try {
      expect(await httpGet(`http://127.0.0.1:${port}/ready`)).toMatchObject({ status: 503, body: 'aaa,kubernetes' });
      expect(lines).toContain('Still waiting on: "aaa,kubernetes"');
      other = true;
      expect(await httpGet(`http://127.0.0.1:${port}/ready`)).toMatchObject({ status: 503, body: 'kubernetes' });
      k8s = true;
      expect(await httpGet(`http://127.0.0.1:${port}/ready`)).toMatchObject({ status: 200, body: 'OK' });
    } finally {
      await p.close!();
    }
    // closed: the listener is gone
    await expect(httpGet(`http://127.0.0.1:${port}/ready`, 500)).rejects.toThrow();
  });

  it('rejects extra arguments and blocks with FILE:LINE', async () => {
    const shared = new Map<string, unknown>();
    expect(() => definition.setup({ name: 'ready', args: [':1', ':2'], file: 'Cf', line: 7, block: null }, ctx(shared))).toThrow(/^Cf:7: ready: too many arguments/);
    expect(() => definition.setup({ name: 'ready', args: [], file: 'Cf', line: 7, block: [{ name: 'x', args: [], file: 'Cf', line: 8, block: null }] }, ctx(shared))).toThrow(/^Cf:8: /);
  });
});
