// The hosts file is re-read when it changes; a vanished or unreadable file keeps the last entries.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Type, type Message } from '../../../src/dns/types.ts';
import { registry } from '../../../src/metrics/registry.ts';
import type { Plugin } from '../../../src/plugin/contract.ts';
import { definition } from '../../../src/plugins/hosts/index.ts';
import { directive, recordingNext, request } from './request.ts';
import { setupContext } from '../../support/setup-context.ts';
import { settles } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'hosts-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: Plugin[] = [];
afterEach(async () => { for (const p of open.splice(0)) await p.close?.(); });

async function addresses(p: Plugin, name: string): Promise<string[]> {
  const res = (await p.serve!(request(name, Type.A), recordingNext())) as Message;
  return res.answers.map((r) => (r.data as { address: string }).address);
}

async function start(file: string, reload = '50ms', ctx = setupContext()) {
  const p = await definition.setup(directive('hosts', [file], [['reload', reload]]), ctx);
  await p.start?.();
  open.push(p);
  return { p, ctx };
}

/**
 * A witness: another hosts plugin with a `reload` interval, started after the one under test.
 * Node fires timers of one duration in the order they were set, so each change the witness has
 * picked up proves the plugin under test has had at least as many checks minus one. "Nothing
 * happened" is then asserted after checks that could have made it happen, not after a sleep.
 */
async function witness(reload: string) {
  const file = join(dir, `witness-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, '10.9.0.0 w.example.org\n');
  const { p } = await start(file, reload);
  let n = 0;
  return async (checks: number) => {
    for (let i = 0; i < checks; i++) {
      const want = `10.9.0.${++n}`;
      writeFileSync(file, `${want} w.example.org ${'x'.repeat(n)}.example.org\n`);
      expect(await settles(() => addresses(p, 'w.example.org.'), [want])).toEqual([want]);
    }
  };
}

describe('hosts file reload', () => {
  it('picks up an edit within the reload interval and sets the metrics', async () => {
    const file = join(dir, 'edit');
    writeFileSync(file, '10.0.0.1 a.example.org\n');
    const { p } = await start(file);
    expect(await addresses(p, 'a.example.org.')).toEqual(['10.0.0.1']);
    expect((await registry.getSingleMetric('coredns_hosts_entries')!.get()).values[0]!.value).toBe(2);

    writeFileSync(file, '10.0.0.2 a.example.org\n10.0.0.3 b.example.org c.example.org\n');
    const mtime = new Date(Date.now() + 5000);
    utimesSync(file, mtime, mtime);
    expect(await settles(() => addresses(p, 'a.example.org.'), ['10.0.0.2'])).toEqual(['10.0.0.2']);
    expect(await addresses(p, 'c.example.org.')).toEqual(['10.0.0.3']);
    expect((await registry.getSingleMetric('coredns_hosts_entries')!.get()).values[0]!.value).toBe(6);
    const ts = (await registry.getSingleMetric('coredns_hosts_reload_timestamp_seconds')!.get()).values[0]!.value;
    expect(ts).toBeCloseTo(mtime.getTime() / 1000, 0);
  });

  it('a removed file keeps the last entries and logs one line; it is used again when restored', async () => {
    const file = join(dir, 'removed');
    writeFileSync(file, '10.0.0.1 a.example.org\n');
    const { p, ctx } = await start(file, '20ms');
    const checks = await witness('20ms');
    const lines = () => ctx.lines.filter((l) => !l.startsWith('[DEBUG]'));
    unlinkSync(file);
    await settles(async () => lines().length, 1);
    await checks(3); // several more checks of the missing file
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/^\[WARNING\] Failed to read hosts file .*removed: .*ENOENT.*keeping the last 2 entries$/);
    expect(await addresses(p, 'a.example.org.')).toEqual(['10.0.0.1']);

    writeFileSync(file, '10.0.0.9 a.example.org\n');
    expect(await settles(() => addresses(p, 'a.example.org.'), ['10.0.0.9'])).toEqual(['10.0.0.9']);
    expect(lines().slice(1)).toEqual([`[INFO] Hosts file ${file} is readable again`]);
  });

  it('a file replaced by something unreadable (a directory) keeps the last entries', async () => {
    const file = join(dir, 'unreadable');
    writeFileSync(file, '10.0.0.1 a.example.org\n');
    const { p, ctx } = await start(file, '20ms');
    unlinkSync(file);
    mkdirSync(file);
    const warnings = () => ctx.lines.filter((l) => l.startsWith('[WARNING]'));
    await settles(async () => warnings().length, 1);
    expect(warnings()[0]).toMatch(/is a directory/);
    expect(await addresses(p, 'a.example.org.')).toEqual(['10.0.0.1']);
  });

  it('a changed reason is logged again (missing, then a directory), each reason once', async () => {
    const file = join(dir, 'reasons');
    writeFileSync(file, '10.0.0.1 a.example.org\n');
    const { p, ctx } = await start(file, '20ms');
    const checks = await witness('20ms');
    const warnings = () => ctx.lines.filter((l) => l.startsWith('[WARNING]'));
    unlinkSync(file);
    await settles(async () => warnings().length, 1);
    expect(warnings()[0]).toMatch(/ENOENT/);
    mkdirSync(file);
    await settles(async () => warnings().length, 2);
    await checks(3); // more checks of the same reason say nothing more
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatch(/is a directory; keeping the last 2 entries$/);
    expect(await addresses(p, 'a.example.org.')).toEqual(['10.0.0.1']);
  });

  it('reload 0 never re-reads; close stops the checks', async () => {
    const file = join(dir, 'noreload');
    writeFileSync(file, '10.0.0.1 a.example.org\n');
    const { p } = await start(file, '0');
    const file2 = join(dir, 'closed');
    writeFileSync(file2, '10.0.0.1 a.example.org\n');
    const { p: p2 } = await start(file2, '20ms');
    const checks = await witness('20ms');
    await p2.close!();
    writeFileSync(file, '10.0.0.2 a.example.org\n');
    writeFileSync(file2, '10.0.0.2 a.example.org\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    utimesSync(file2, later, later);
    await checks(3); // a 20ms reload started with p2 has re-read its file three times meanwhile
    expect(await addresses(p, 'a.example.org.')).toEqual(['10.0.0.1']);
    expect(await addresses(p2, 'a.example.org.')).toEqual(['10.0.0.1']);
  });

  it('a data-plane worker does not touch the metrics', async () => {
    const file = join(dir, 'worker');
    writeFileSync(file, '10.0.0.1 a.example.org b.example.org c.example.org d.example.org e.example.org\n');
    await definition.setup(directive('hosts', [file]), setupContext(['.'], 'single'));
    const before = (await registry.getSingleMetric('coredns_hosts_entries')!.get()).values[0]!.value;
    const p = await definition.setup(directive('hosts', [file], [['10.0.0.2', 'x.org']]), setupContext(['.'], 'data'));
    expect(await addresses(p, 'x.org.')).toEqual(['10.0.0.2']);
    expect((await registry.getSingleMetric('coredns_hosts_entries')!.get()).values[0]!.value).toBe(before);
  });
});
