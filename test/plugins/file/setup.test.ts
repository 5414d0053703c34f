// The file directive (CoreDNS's setup_test.go TestFileParse/TestParseReload), and the reload
// rule checked step by step: the reload check is run directly, so "not reloaded" is a fact of
// one completed check, not of a wait.
import { execFileSync } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/corefile/types.ts';
import { definition, type FilePlugin } from '../../../src/plugins/file/index.ts';
import { parseFileDirective } from '../../../src/plugins/file/setup.ts';
import { directive } from '../hosts/request.ts';
import { ask, dir, rrText, zoneFile } from './helpers.ts';
import { dbMiekNL } from './zones.ts';
import { setupContext } from '../../support/setup-context.ts';

function d(args: string[], block: Array<[string, ...string[]]> | null = null): Directive { return directive('file', args, block); }

function err(fn: () => unknown): string {
  try { fn(); } catch (e) { return (e as Error).message; }
  return 'no error';
}

describe('file directive', () => {
  const db = zoneFile(dbMiekNL);

  it('TestFileParse: zones from the arguments (CIDRs as reverse zones) or the server block', () => {
    expect(parseFileDirective(d([db, 'miek.nl.']), ['.'], '/').origins).toEqual(['miek.nl.']);
    expect(parseFileDirective(d([db, '10.0.0.0/8']), ['.'], '/').origins).toEqual(['10.in-addr.arpa.']);
    expect(parseFileDirective(d([db]), ['example.org.', 'example.net.'], '/').origins).toEqual(['example.org.', 'example.net.']);
    expect(parseFileDirective(d(['db.relative']), ['.'], '/srv/zones').path).toBe('/srv/zones/db.relative');
  });

  it('TestFileParse errors: no file, unknown properties', () => {
    expect(err(() => parseFileDirective(d([]), ['.'], '/'))).toBe('Corefile:2: file needs the zone file to serve: file DBFILE [ZONES...]');
    expect(err(() => parseFileDirective(d([db, 'miek.nl'], [['transfer', 'from', '127.0.0.1']]), ['.'], '/')))
      .toBe("Corefile:3: unknown property 'transfer' — file takes reload, reload_by_mtime, fallthrough");
    expect(err(() => parseFileDirective(d([db], [['no_reload']]), ['.'], '/'))).toMatch(/^Corefile:3: unknown property 'no_reload'/);
    expect(err(() => parseFileDirective(d([db], [['reload']]), ['.'], '/'))).toBe('Corefile:3: reload needs a duration (0 disables), e.g. "reload 30s"');
    expect(err(() => parseFileDirective(d([db], [['reload', 'soon']]), ['.'], '/'))).toBe("Corefile:3: invalid duration for reload 'soon' — write it like 30s, 1m or 1h");
  });

  it('TestParseReload: one minute by default, else as given; upstream is accepted and ignored', () => {
    expect(parseFileDirective(d([db, 'example.org.']), ['.'], '/').reloadMs).toBe(60_000);
    expect(parseFileDirective(d([db, 'example.org.'], [['reload', '5s']]), ['.'], '/').reloadMs).toBe(5_000);
    expect(parseFileDirective(d([db], [['reload', '0']]), ['.'], '/').reloadMs).toBe(0);
    expect(parseFileDirective(d([db], [['upstream', '8.8.8.8']]), ['.'], '/').reloadMs).toBe(60_000);
  });

  it('one file for several zones; an SOA that is not at the origin is served but warned about', async () => {
    const ctx = setupContext(['.']);
    const p = await definition.setup(d([db, 'miek.nl', 'example.org']), ctx) as FilePlugin;
    expect([...p.slots.keys()]).toEqual(['miek.nl.', 'example.org.']);
    expect(ctx.lines).toEqual([
      `[WARNING] ${db}:4: the SOA record is at miek.nl., not at the zone's origin example.org. — name the zone in the file directive (file DBFILE ZONE) or fix $ORIGIN`,
    ]);
  });

  it('a CNAME into another zone of the same plugin is answered from that zone (also through its wildcard)', async () => {
    const shared = zoneFile(`$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nwww A 192.0.2.10\nalias CNAME www.example.net.\nloop CNAME other.example.net.\nother CNAME loop.example.org.\n*.wild A 192.0.2.11\nw CNAME x.wild.example.net.\n`);
    const p = await definition.setup(d([shared, 'example.org', 'example.net']), setupContext(['.']));
    expect((await ask(p, 'alias.example.org.', 1)).answers.map(rrText)).toEqual([
      'alias.example.org. 60 IN CNAME www.example.net.', 'www.example.net. 60 IN A 192.0.2.10',
    ]);
    expect((await ask(p, 'w.example.org.', 1)).answers.map(rrText)).toEqual([
      'w.example.org. 60 IN CNAME x.wild.example.net.', 'x.wild.example.net. 60 IN A 192.0.2.11',
    ]);
    // A loop between the zones ends (8 lookups at most), with what was found, and never asks the next plugin.
    const next = Object.assign(() => { throw new Error('next called'); }, {});
    const looped = await ask(p, 'loop.example.org.', 1, next);
    expect(looped.rcode).toBe(0);
    expect(looped.answers.length).toBeGreaterThan(2);
    expect(looped.answers.length).toBeLessThan(40);
  });

  it('a FIFO or a directory as zone file, or as an $INCLUDE, is refused at once (never read)', async () => {
    const fifo = join(dir, 'db.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(async () => definition.setup(d([fifo]), setupContext(['example.org.']))).rejects.toThrow(
      `Corefile:2: file: cannot read zone file ${fifo}: is a FIFO (named pipe), not a regular file`);
    await expect(async () => definition.setup(d([dir]), setupContext(['example.org.']))).rejects.toThrow(
      `Corefile:2: file: cannot read zone file ${dir}: is a directory, not a file`);
    const inc = zoneFile(`$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n$INCLUDE db.fifo\n`);
    await expect(async () => definition.setup(d([inc]), setupContext(['example.org.']))).rejects.toThrow(
      `${inc}:3: $INCLUDE: ${fifo}: is a FIFO (named pipe), not a regular file (zone example.org. of the file plugin at Corefile:2)`);
  });

  it('fallthrough: NXDOMAIN in the covered zones goes to the next plugin', async () => {
    const p = await definition.setup(d([db, 'miek.nl.'], [['fallthrough']]), setupContext(['miek.nl.']));
    expect((await ask(p, 'nope.miek.nl.', 1)).rcode).toBe(5); // the recording next plugin's REFUSED
    expect((await ask(p, 'a.miek.nl.', 1)).answers.map(rrText)).toEqual(['a.miek.nl. 1800 IN A 139.162.196.78']);
  });
});

describe('file reload rule', () => {
  const zone = (serial: number, addr: string) => `$TTL 60\n@ IN SOA ns h ${serial} 2 3 4 5\nwww A ${addr}\n`;

  it('a changed file with the same serial is not reloaded; a different serial is (TestZoneReloadSOAChange)', async () => {
    const path = zoneFile(zone(7, '192.0.2.1'));
    const ctx = setupContext(['example.org.']);
    const p = await definition.setup(d([path], [['reload', '0']]), ctx) as FilePlugin;
    const www = async () => (await ask(p, 'www.example.org.', 1)).answers.map((r) => (r.data as { address: string }).address);
    writeFileSync(path, zone(7, '192.0.2.2'));
    await p.reloader.check();
    expect(await www()).toEqual(['192.0.2.1']);
    writeFileSync(path, zone(8, '192.0.2.3'));
    await p.reloader.check();
    expect(await www()).toEqual(['192.0.2.3']);
    expect(ctx.lines).toEqual([`[INFO] Successfully reloaded zone "example.org." in "${path}" with 8 SOA serial`]);
  });

  it('reload_by_mtime: a new modification time reloads whatever the serial', async () => {
    const path = zoneFile(zone(7, '192.0.2.1'));
    const p = await definition.setup(d([path], [['reload', '0'], ['reload_by_mtime']]), setupContext(['example.org.'])) as FilePlugin;
    writeFileSync(path, zone(7, '192.0.2.2'));
    const t = new Date(Date.now() + 10_000);
    utimesSync(path, t, t);
    await p.reloader.check();
    expect((await ask(p, 'www.example.org.', 1)).answers.map(rrText)).toEqual(['www.example.org. 60 IN A 192.0.2.2']);
  });

  it('worker threads do not log (the control side says it once)', async () => {
    const path = zoneFile(zone(1, '192.0.2.1'));
    const ctx = setupContext(['example.org.'], 'data');
    const p = await definition.setup(d([path], [['reload', '0']]), ctx) as FilePlugin;
    writeFileSync(path, zone(2, '192.0.2.9'));
    await p.reloader.check();
    expect((await ask(p, 'www.example.org.', 1)).answers.map(rrText)).toEqual(['www.example.org. 60 IN A 192.0.2.9']);
    expect(ctx.lines).toEqual([]);
  });
});
