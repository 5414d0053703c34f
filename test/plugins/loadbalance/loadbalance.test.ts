// loadbalance: orderings (CoreDNS's loadbalance_test.go, prefer_test.go, weighted_test.go cases) and serve().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/corefile/cidr.ts';
import { CorefileError } from '../../../src/corefile/types.ts';
import { encode } from '../../../src/dns/codec.ts';
import { a, aaaa, cname, mx, ns, originOf, replyTo, soa, srv, txt } from '../../../src/dns/message.ts';
import { Rcode, Type, type Message, type ResourceRecord } from '../../../src/dns/types.ts';
import type { Plugin, Request } from '../../../src/plugin/contract.ts';
import { definition } from '../../../src/plugins/loadbalance/index.ts';
import { preferSubnets, roundRobin } from '../../../src/plugins/loadbalance/shuffle.ts';
import { parseWeights } from '../../../src/plugins/loadbalance/weighted.ts';
import { directive, request } from '../hosts/request.ts';
import { setupContext } from '../../support/setup-context.ts';
import { sleep } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadbalance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const show = (r: ResourceRecord) => `${Object.entries(Type).find(([, v]) => v === r.type)![0]} ${Object.values(r.data)[0]}`;
const N = 3000; // trials for the distribution checks: bounds below are > 6 standard deviations wide

describe('round_robin ordering', () => {
  it('shuffles an all-A section uniformly: every record leads about 1/3 of the time, all 6 orders occur', () => {
    const rrs = [a('x.', 30, '10.0.0.1'), a('x.', 30, '10.0.0.2'), a('x.', 30, '10.0.0.3')];
    const firsts = new Map<string, number>();
    const orders = new Set<string>();
    for (let i = 0; i < N; i++) {
      const out = roundRobin(rrs);
      expect(out.map(show).sort()).toEqual(rrs.map(show).sort());
      firsts.set(show(out[0]!), (firsts.get(show(out[0]!)) ?? 0) + 1);
      orders.add(out.map(show).join());
    }
    expect(rrs.map(show)).toEqual(['A 10.0.0.1', 'A 10.0.0.2', 'A 10.0.0.3']); // input untouched
    expect(orders.size).toBe(6);
    for (const n of firsts.values()) {
      expect(n / N).toBeGreaterThan(0.27);
      expect(n / N).toBeLessThan(0.40);
    }
  });

  it('two records swap about half the time', () => {
    const rrs = [aaaa('x.', 30, '::1'), aaaa('x.', 30, '::2')];
    let swapped = 0;
    for (let i = 0; i < N; i++) if (show(roundRobin(rrs)[0]!) === 'AAAA ::2') swapped++;
    expect(swapped / N).toBeGreaterThan(0.44);
    expect(swapped / N).toBeLessThan(0.56);
  });

  it('puts CNAMEs first, then other records, then the shuffled addresses, then shuffled MX (CoreDNS roundRobin)', () => {
    const rrs = [a('w.', 30, '10.0.0.1'), mx('x.', 30, 10, 'mx1.'), cname('x.', 30, 'w.'), txt('x.', 30, 't'),
      a('w.', 30, '10.0.0.2'), mx('x.', 30, 20, 'mx2.'), aaaa('w.', 30, '::1'), ns('x.', 30, 'ns.')];
    for (let i = 0; i < 50; i++) {
      const out = roundRobin(rrs).map((r) => r.type);
      expect(out).toEqual([Type.CNAME, Type.TXT, Type.NS, ...out.slice(3, 6), Type.MX, Type.MX]);
      expect(out.slice(3, 6).sort()).toEqual([Type.A, Type.A, Type.AAAA].sort());
    }
  });

  it('leaves sections of zero or one record, and non-address sections, in order', () => {
    expect(roundRobin([])).toEqual([]);
    const one = [a('x.', 1, '1.1.1.1')];
    expect(roundRobin(one)).toEqual(one);
    const srvs = [srv('_s._tcp.x.', 1, 0, 0, 80, 'a.'), srv('_s._tcp.x.', 1, 0, 0, 80, 'b.')];
    for (let i = 0; i < 20; i++) expect(roundRobin(srvs)).toEqual(srvs);
  });
});

describe('prefer', () => {
  it('orders addresses in the preferred subnets first, keeping relative order (CoreDNS issue #6515 example)', () => {
    const rrs = [a('x.', 1, '172.0.100.1'), a('x.', 1, '10.9.20.1'), a('x.', 1, '172.0.200.1'), a('x.', 1, '10.9.30.1'), cname('y.', 1, 'x.')];
    const out = preferSubnets(rrs, [parseCidr('10.9.20.0/24')!, parseCidr('10.9.30.0/24')!]);
    expect(out.map(show)).toEqual(['CNAME x.', 'A 10.9.20.1', 'A 10.9.30.1', 'A 172.0.100.1', 'A 172.0.200.1']);
    const v6 = preferSubnets([aaaa('x.', 1, '2001:db8::1'), aaaa('x.', 1, 'fd00::1')], [parseCidr('fd00::/8')!]);
    expect(v6.map(show)).toEqual(['AAAA fd00::1', 'AAAA 2001:db8::1']);
  });
});

function answer(req: Request, answers: ResourceRecord[], rcode: number = Rcode.NOERROR): Message {
  const m = replyTo(req.msg, rcode);
  m.answers = answers;
  return m;
}

async function lb(args: string[] = [], block: Array<[string, ...string[]]> | null = null): Promise<Plugin> {
  return definition.setup(directive('loadbalance', args, block), setupContext());
}

describe('loadbalance serve()', () => {
  const four = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => a('x.example.org.', 30, ip));

  it('reorders a NOERROR answer into a copy, observed over many queries', async () => {
    const p = await lb();
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const req = request('x.example.org.', Type.A);
      const res = answer(req, four);
      const out = (await p.serve!(req, () => res)) as Message;
      expect(res.answers).toBe(four); // the response handed in is not modified
      expect(out.answers.map(show).sort()).toEqual(four.map(show));
      firsts.add(show(out.answers[0]!));
    }
    expect(firsts.size).toBe(4);
  });

  it('leaves NXDOMAIN/SERVFAIL and zone transfers alone', async () => {
    const p = await lb();
    for (const [type, rcode] of [[Type.A, Rcode.NXDOMAIN], [Type.A, Rcode.SERVFAIL], [Type.AXFR, Rcode.NOERROR], [Type.IXFR, Rcode.NOERROR]]) {
      const req = request('x.example.org.', type!);
      const res = answer(req, four, rcode);
      expect(await p.serve!(req, () => res)).toBe(res);
    }
  });

  it('re-reads a pre-encoded (cache) response from its wire bytes and drops them', async () => {
    const p = await lb();
    const req = request('x.example.org.', Type.A);
    const res = answer(req, four);
    res.authority = [soa('example.org.', 30, { mname: 'ns.', rname: 'h.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 })];
    const wire = encode({ ...res, answers: four.map((r) => ({ ...r, ttl: 7 })) }); // the wire holds the current TTLs
    res.wire = wire;
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const out = (await p.serve!(req, () => Promise.resolve(res))) as Message;
      expect(out.wire).toBeUndefined();
      expect(res.wire).toBe(wire);
      expect(out.answers.map((r) => r.ttl)).toEqual([7, 7, 7, 7]);
      expect(out.authority).toHaveLength(1);
      expect(originOf(out)).toBe(res);     // derived: the chain keeps cache as the writer
      seen.add(show(out.answers[0]!));
    }
    expect(seen.size).toBe(4);
  });

  it('passes a response with nothing to reorder through untouched, wire bytes and all', async () => {
    const p = await lb();
    const req = request('x.example.org.', Type.A);
    const res = answer(req, [four[0]!]);
    res.wire = encode(res);
    expect(await p.serve!(req, () => res)).toBe(res);
  });

  it.each([
    [['round_robin', 'x'], null, /unknown property for round_robin/],
    [['random'], null, /unknown policy: random/],
    [['weighted'], null, /missing weight file/],
    [['weighted', 'a', 'b'], null, /unexpected argument/],
    [[], [['prefer', '10.0.0.0/33']], /invalid CIDR "10.0.0.0\/33"/],
    [[], [['reload', '5s']], /unknown property 'reload'/],
  ] as Array<[string[], Array<[string, ...string[]]> | null, RegExp]>)('setup error %#', async (args, block, msg) => {
    await expect(lb(args, block)).rejects.toThrow(CorefileError);
    await expect(lb(args, block)).rejects.toThrow(msg);
  });
});

describe('weighted', () => {
  const weights = '# comment\n\nwww.example.com\n100.64.1.1 3\n100.64.1.2 1\n100.64.1.3 2\n';

  it('parses the weight file and rejects bad lines like CoreDNS', () => {
    const w = parseWeights(weights, 'f');
    expect([...w.get('www.example.com.')!.entries()]).toEqual([['100.64.1.1', 3], ['100.64.1.2', 1], ['100.64.1.3', 2]]);
    expect(() => parseWeights('1.2.3.4', 'f')).toThrow(/Wrong domain name/);
    expect(() => parseWeights('x\n1.2.3 4', 'f')).toThrow(/Wrong IP address/);
    expect(() => parseWeights('x\n1.2.3.4 0', 'f')).toThrow(/Wrong weight value/);
    expect(() => parseWeights('x\n1.2.3.4 256', 'f')).toThrow(/Wrong weight value/);
    expect(() => parseWeights('1.2.3.4 1', 'f')).toThrow(/Missing domain name/);
    expect(() => parseWeights('x\n1.2.3.4 1 2', 'f')).toThrow(/Could not parse weight line/);
  });

  it('puts addresses on top in proportion to their weights (3:1:2), for A/AAAA/SRV questions only', async () => {
    const file = join(dir, 'weights');
    writeFileSync(file, weights);
    const p = await lb(['weighted', file]);
    const rrs = ['100.64.1.1', '100.64.1.2', '100.64.1.3'].map((ip) => a('www.example.com.', 30, ip));
    const top = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const req = request('www.example.com.', Type.A);
      const out = (await p.serve!(req, () => answer(req, rrs))) as Message;
      top.set(show(out.answers[0]!), (top.get(show(out.answers[0]!)) ?? 0) + 1);
    }
    expect(top.get('A 100.64.1.1')! / N).toBeGreaterThan(0.42); // expected 0.5
    expect(top.get('A 100.64.1.1')! / N).toBeLessThan(0.58);
    expect(top.get('A 100.64.1.2')! / N).toBeGreaterThan(0.11); // expected 0.167
    expect(top.get('A 100.64.1.2')! / N).toBeLessThan(0.23);
    const req = request('www.example.com.', Type.MX);
    const res = answer(req, rrs);
    expect(await p.serve!(req, () => res)).toBe(res);
  });

  it('reloads a changed weight file; a broken one keeps the old weights', async () => {
    const file = join(dir, 'weights2');
    writeFileSync(file, 'x.org\n10.0.0.1 255\n');
    const ctx = setupContext();
    const p = await definition.setup(directive('loadbalance', ['weighted', file], [['reload', '20ms']]), ctx);
    await p.start?.();
    const rrs = [a('x.org.', 1, '10.0.0.1'), a('x.org.', 1, '10.0.0.2')];
    const topOf = async () => {
      const req = request('x.org.', Type.A);
      return show(((await p.serve!(req, () => answer(req, rrs))) as Message).answers[0]!);
    };
    const share = async (ip: string) => { let n = 0; for (let i = 0; i < 400; i++) if ((await topOf()) === `A ${ip}`) n++; return n / 400; };
    expect(await share('10.0.0.1')).toBeGreaterThan(0.97);
    writeFileSync(file, 'x.org\n10.0.0.2 255\n');
    for (let i = 0; i < 100 && !ctx.lines.some((l) => l.includes('Successfully reloaded')); i++) await sleep(20);
    expect(await share('10.0.0.2')).toBeGreaterThan(0.97);
    writeFileSync(file, 'x.org\n10.0.0.2 999\n');
    for (let i = 0; i < 100 && !ctx.lines.some((l) => l.startsWith('[ERROR]')); i++) await sleep(20);
    expect(ctx.lines.find((l) => l.startsWith('[ERROR]'))).toMatch(/Wrong weight value/);
    expect(await share('10.0.0.2')).toBeGreaterThan(0.97);
    await p.close?.();
  });

  it('a bad weight file at setup is a Corefile error; a missing one only a warning', async () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'x\n1.2.3.4 0\n');
    await expect(lb(['weighted', bad])).rejects.toThrow(/Corefile:2: Wrong weight value/);
    const ctx = setupContext();
    await definition.setup(directive('loadbalance', ['weighted', join(dir, 'missing')]), ctx);
    expect(ctx.lines[0]).toMatch(/^\[WARNING\] Failed to open weight file:.*Will try again in 30s$/);
    await expect(lb(['weighted', join(dir, 'missing')], [['reload', '0']])).rejects.toThrow(/weight file open error/);
  });
});
