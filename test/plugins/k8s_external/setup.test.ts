/**
 * The k8s_external directive, after CoreDNS's plugin/k8s_external setup_test.go and setup.go:
 * zones, apex, ttl, headless, fallthrough, and FILE:LINE errors — also for a block without the
 * kubernetes plugin (CoreDNS: "kubernetes plugin not loaded"), under -validate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/corefile/types.ts';
import { parseExternal } from '../../../src/plugins/k8s_external/setup.ts';
import { configErrors } from '../../support/generation.ts';
import { FakeApiServer } from '../../support/fake-apiserver.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';

const directive = (args: string[], opts: [string, ...string[]][] = []): Directive => ({
  name: 'k8s_external', args, file: 'Corefile', line: 4,
  block: opts.length ? opts.map(([name, ...a], i) => ({ name, args: a, file: 'Corefile', line: 5 + i, block: null })) : null,
});
const parse = (args: string[], opts: [string, ...string[]][] = []) => parseExternal(directive(args, opts), ['example.net.']);
const fails = (opts: [string, ...string[]][]) => {
  try { parse([], opts); } catch (e) { return (e as Error).message; }
  return 'no error';
};

describe('k8s_external: setup (CoreDNS setup_test.go)', () => {
  it('takes zones from its arguments or the server block, CIDRs as reverse zones, apex default dns', () => {
    expect(parse([])).toMatchObject({ zones: ['example.net.'], apex: 'dns', ttl: 5, headless: false });
    expect(parse(['example.org'])).toMatchObject({ zones: ['example.org.'], apex: 'dns' });
    expect(parse(['example.org'], [['apex', 'testdns']])).toMatchObject({ zones: ['example.org.'], apex: 'testdns' });
    expect(parse(['10.0.0.0/31']).zones).toEqual(['0.0.0.10.in-addr.arpa.', '1.0.0.10.in-addr.arpa.']);
  });

  it('parses ttl, headless and fallthrough', () => {
    const o = parse([], [['ttl', '0'], ['headless'], ['fallthrough', 'example.net']]);
    expect(o).toMatchObject({ ttl: 0, headless: true });
    expect(o.fallthrough.through('a.example.net.')).toBe(true);
    expect(o.fallthrough.through('a.example.org.')).toBe(false);
    expect(parse([], [['fallthrough']]).fallthrough.through('anything.')).toBe(true);
  });

  it('fails with FILE:LINE on bad options', () => {
    expect(fails([['ttl', '3601']])).toBe('Corefile:5: k8s_external: ttl must be in range [0, 3600]: 3601');
    expect(fails([['ttl', '-1']])).toBe('Corefile:5: k8s_external: ttl must be in range [0, 3600]: -1');
    expect(fails([['ttl', 'ten']])).toMatch(/^Corefile:5: k8s_external: ttl "ten" is not a whole number/);
    expect(fails([['ttl']])).toMatch(/^Corefile:5: k8s_external: wrong argument count/);
    expect(fails([['apex']])).toMatch(/^Corefile:5: k8s_external: wrong argument count/);
    expect(fails([['headless'], ['upstream']])).toMatch(/^Corefile:6: k8s_external: unknown property 'upstream'/);
  });
});

describe('k8s_external: the kubernetes plugin of the block', () => {
  let api: FakeApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await FakeApiServer.start();
    kubeconfig = api.writeKubeconfig(tempDir());
  });
  afterAll(async () => { await api?.close(); });

  const validate = async (text: string) => (await configErrors(text)).join('\n') || 'no error';

  it('is required (FILE:LINE under -validate), and enough when present', async () => {
    expect(await validate('. {\n    errors\n    k8s_external example.org\n    forward . 127.0.0.1:9\n}\n'))
      .toBe('Corefile:3: k8s_external: kubernetes plugin not loaded — add a kubernetes directive to this server block');
    expect(await validate(`. {\n    k8s_external example.org\n    kubernetes cluster.local {\n        kubeconfig ${kubeconfig}\n    }\n}\n`)).toBe('no error');
  });
});
