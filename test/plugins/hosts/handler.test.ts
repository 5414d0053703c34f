// serve() of the hosts plugin on hand-built requests. The table is CoreDNS's plugin/hosts/hosts_test.go
// (hostsExample and its cases), extended with the cases it leaves implicit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rcode, Type, type Message, type ResourceRecord } from '../../../src/dns/types.ts';
import type { Plugin } from '../../../src/plugin/contract.ts';
import { definition } from '../../../src/plugins/hosts/index.ts';
import { directive, recordingNext, request } from './request.ts';
import { setupContext } from '../../support/setup-context.ts';

const hostsExample = `
127.0.0.1 localhost localhost.domain
::1 localhost localhost.domain
10.0.0.1 example.org
::FFFF:10.0.0.2 example.com
10.0.0.3 fallthrough-example.org
1.2.3.4 aa.example.com
5.6.7.8 *.apps.example.com
reload 5s
timeout 3600
`;

const dir = mkdtempSync(join(tmpdir(), 'hosts-handler-'));
const file = join(dir, 'hosts');
writeFileSync(file, hostsExample);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function plugin(args: string[] = [file], block: Array<[string, ...string[]]> | null = null, zones = ['.']): Promise<Plugin> {
  return definition.setup(directive('hosts', args, block), setupContext(zones));
}

async function ask(p: Plugin, name: string, type: number) {
  const next = recordingNext();
  const res = (await p.serve!(request(name, type), next)) as Message;
  return { res, fellThrough: next.calls > 0 };
}

const rr = (r: ResourceRecord) => `${r.name} ${r.ttl} ${r.type} ${JSON.stringify(r.data)}`;

describe('hosts answers (CoreDNS hosts_test.go table)', () => {
  it.each([
    ['example.org.', Type.A, ['example.org. 3600 1 {"address":"10.0.0.1"}']],
    ['example.com.', Type.A, ['example.com. 3600 1 {"address":"10.0.0.2"}']],
    ['localhost.', Type.AAAA, ['localhost. 3600 28 {"address":"::1"}']],
    ['1.0.0.10.in-addr.arpa.', Type.PTR, ['1.0.0.10.in-addr.arpa. 3600 12 {"target":"example.org."}']],
    ['2.0.0.10.in-addr.arpa.', Type.PTR, ['2.0.0.10.in-addr.arpa. 3600 12 {"target":"example.com."}']],
    ['1.0.0.127.in-addr.arpa.', Type.PTR, ['1.0.0.127.in-addr.arpa. 3600 12 {"target":"localhost."}', '1.0.0.127.in-addr.arpa. 3600 12 {"target":"localhost.domain."}']],
    ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.', Type.PTR, ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 3600 12 {"target":"localhost."}', '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 3600 12 {"target":"localhost.domain."}']],
    ['example.org.', Type.AAAA, []],
    ['example.org.', Type.MX, []],
    ['aa.example.com.', Type.A, ['aa.example.com. 3600 1 {"address":"1.2.3.4"}']],
    ['web.apps.example.com.', Type.A, ['web.apps.example.com. 3600 1 {"address":"5.6.7.8"}']],
  ])('%s %i', async (name, type, want) => {
    const { res, fellThrough } = await ask(await plugin(), name, type);
    expect(fellThrough).toBe(false);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(res.aa).toBe(true);
    expect(res.answers.map(rr)).toEqual(want);
  });

  it('answers case-insensitively: the question keeps its case, owner names are lower case (as CoreDNS)', async () => {
    const { res } = await ask(await plugin(), 'ExAmPlE.ORG.', Type.A);
    expect(res.questions[0]!.name).toBe('ExAmPlE.ORG.');
    expect(res.answers.map(rr)).toEqual(['example.org. 3600 1 {"address":"10.0.0.1"}']);
  });

  it('a name it does not have: SERVFAIL without fallthrough (CoreDNS has no SOA for NXDOMAIN), next with it', async () => {
    const without = await ask(await plugin(), 'missing.example.org.', Type.A);
    expect(without.fellThrough).toBe(false);
    expect(without.res.rcode).toBe(Rcode.SERVFAIL);
    expect(without.res.answers).toEqual([]);
    const withFall = await ask(await plugin([file], [['fallthrough']]), 'missing.example.org.', Type.A);
    expect(withFall.fellThrough).toBe(true);
  });

  it('a name that exists with another type is NODATA even with fallthrough', async () => {
    const { res, fellThrough } = await ask(await plugin([file], [['fallthrough']]), 'fallthrough-example.org.', Type.AAAA);
    expect(fellThrough).toBe(false);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(res.answers).toEqual([]);
  });

  it('fallthrough with zones falls through only inside them', async () => {
    const p = await plugin([file], [['fallthrough', 'example.net']]);
    expect((await ask(p, 'x.example.net.', Type.A)).fellThrough).toBe(true);
    const out = await ask(p, 'x.example.org.', Type.A);
    expect(out.fellThrough).toBe(false);
    expect(out.res.rcode).toBe(Rcode.SERVFAIL);
  });

  it('an unknown reverse name always goes to the next plugin', async () => {
    expect((await ask(await plugin(), '9.9.9.9.in-addr.arpa.', Type.PTR)).fellThrough).toBe(true);
  });

  it('names outside the zones go to the next plugin; PTR is looked up whatever the zones', async () => {
    const p = await plugin([file, 'example.org']);
    expect((await ask(p, 'example.com.', Type.A)).fellThrough).toBe(true);
    expect((await ask(p, 'example.org.', Type.A)).res.answers).toHaveLength(1);
    expect((await ask(p, '1.0.0.10.in-addr.arpa.', Type.PTR)).res.answers.map((r) => (r.data as { target: string }).target)).toEqual(['example.org.']);
    // entries outside the zones were dropped at parse time
    expect((await ask(p, '2.0.0.10.in-addr.arpa.', Type.PTR)).fellThrough).toBe(true);
  });

  it('ttl and no_reverse', async () => {
    const p = await plugin([file], [['ttl', '42'], ['no_reverse']]);
    expect((await ask(p, 'example.org.', Type.A)).res.answers[0]!.ttl).toBe(42);
    expect((await ask(p, '1.0.0.10.in-addr.arpa.', Type.PTR)).fellThrough).toBe(true);
  });

  it('inline entries are served with the file, file entries first', async () => {
    const p = await plugin([file], [['10.9.9.9', 'example.org', 'inline.example.org'], ['fe80::9', 'inline.example.org']]);
    expect((await ask(p, 'example.org.', Type.A)).res.answers.map((r) => (r.data as { address: string }).address)).toEqual(['10.0.0.1', '10.9.9.9']);
    expect((await ask(p, 'inline.example.org.', Type.AAAA)).res.answers.map((r) => (r.data as { address: string }).address)).toEqual(['fe80::9']);
    expect((await ask(p, '9.9.9.10.in-addr.arpa.', Type.PTR)).res.answers).toHaveLength(2);
  });

  it('only inline entries when the file does not exist, with one warning', async () => {
    const ctx = setupContext();
    const p = await definition.setup(directive('hosts', [join(dir, 'nope')], [['10.1.1.1', 'only.inline']]), ctx);
    expect(ctx.lines).toEqual([`[WARNING] File does not exist: ${join(dir, 'nope')}`]);
    expect((await ask(p, 'only.inline.', Type.A)).res.answers).toHaveLength(1);
  });

  describe('fallthrough_unsupported (CoreDNS TestFallthroughUnsupportedType)', () => {
    it.each([
      ['existing name returns NODATA by default', 'example.org.', [['fallthrough']], false],
      ['existing name falls through with opt-in', 'example.org.', [['fallthrough'], ['fallthrough_unsupported']], true],
      ['opt-in respects fallthrough zones', 'example.org.', [['fallthrough', 'example.net.'], ['fallthrough_unsupported']], false],
      ['missing name still falls through', 'missing.example.org.', [['fallthrough']], true],
    ] as Array<[string, string, Array<[string, ...string[]]>, boolean]>)('%s', async (_t, name, block, through) => {
      const { res, fellThrough } = await ask(await plugin([file], block), name, Type.TXT);
      expect(fellThrough).toBe(through);
      if (!through) {
        expect(res.rcode).toBe(Rcode.NOERROR);
        expect(res.aa).toBe(true);
        expect(res.answers).toEqual([]);
      }
    });
  });
});
