// reload: the plugin notices a changed Corefile by itself (`reload 2s`: every 2–3 s), logs as
// CoreDNS does, keeps the old config on a broken file; its arguments are checked like CoreDNS's.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { definition } from '../../../src/plugins/reload/index.ts';
import { setupContext } from '../../support/setup-context.ts';
import { until } from '../../support/wait.ts';

describe('reload plugin', () => {
  let s: TestServer;
  const corefile = (v: string) => `. {\n  reload 2s\n  chaos ${v}\n}\n`;
  beforeAll(async () => { s = await startTestServer(corefile('auto-v1')); });
  afterAll(() => s.stop());

  const version = async () => String((await query(s.port, 'version.bind', 'TXT', { class: 3 })).answers[0]?.data);

  it('picks up a changed Corefile by itself within interval + jitter', async () => {
    expect(await version()).toBe('auto-v1');
    await writeFile(s.corefilePath, corefile('auto-v2'));
    const t0 = Date.now();
    expect(await until(async () => (await version()) === 'auto-v2', 5000, 100)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(s.logs).toContain('[INFO] plugin/reload: Reloading');
    expect(s.logs).toContain('[INFO] Reloading complete');
  }, 10_000);

  it('keeps serving the old Corefile when the changed one is broken,', async () => {
    const n = s.logs.length;
    await writeFile(s.corefilePath, `. {\n  reload 2s\n  chaos auto-v3\n  bogus\n}\n`);
    expect(await until(() => s.logs.slice(n).some((l) => l.startsWith('[ERROR] Restart failed: ')), 5000, 100)).toBe(true);
    const err = s.logs.slice(n).find((l) => l.startsWith('[ERROR] Restart failed: '))!;
    expect(err).toContain(`${s.corefilePath}:4: unknown directive 'bogus'`);
    expect(await version()).toBe('auto-v2');
  }, 10_000);
});

describe('reload setup', () => {
  const ctx = setupContext();
  const setup = (...args: string[]) => definition.setup({ name: 'reload', args, file: 'Cf', line: 2, block: null }, ctx);

  it.each([[[]], [['2s']], [['10s', '5s']], [['2s', '5s']], [['1m']], [['30s', '1s']]])('accepts reload %j', (args: string[]) => {
    expect(() => setup(...args)).not.toThrow();
  });

  it.each([
    [['1s'], /too short — the minimum is 2s/],
    [['10s', '500ms'], /too short — the minimum is 1s/],
    [['soon'], /invalid interval "soon"/],
    [['10s', 'x'], /invalid jitter "x"/],
    [['1s', '2s', '3s'], /too many arguments/],
  ] as const)('rejects reload %j with FILE:LINE', (args, re) => {
    expect(() => setup(...args)).toThrow(/^Cf:2: /);
    expect(() => setup(...args)).toThrow(re);
  });
});
