/**
 * The autopath directive and the resolv.conf form, after CoreDNS's plugin/autopath setup_test.go
 * and autopath_test.go: the parse table, FILE:LINE errors (also for `@kubernetes` without
 * `pods verified`, or with no such plugin in the block, under -validate and when serving), and
 * the search walk over a real server with a real upstream behind forward.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/corefile/types.ts';
import { parseAutopath } from '../../../src/plugins/autopath/setup.ts';
import { searchDomains } from '../../../src/plugin/resolv-conf.ts';
import { configErrors } from '../../support/generation.ts';
import { FakeApiServer } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { RCODE, rrText, tempDir } from '../../support/k8s-fixtures.ts';
import { freePort } from '../../support/ports.ts';
import { eventually } from '../../support/wait.ts';

const RESOLV = 'nameserver 1.2.3.4\ndomain foo.com\nsearch bar.com baz.com\noptions ndots:5\n';
const dir = tempDir('autopath-');
const resolvFile = join(dir, 'resolv.conf');
writeFileSync(resolvFile, RESOLV);

const directive = (args: string[]): Directive => ({ name: 'autopath', args, file: 'Corefile', line: 7, block: null });
const parse = (args: string[]) => parseAutopath(directive(args), ['cluster.local.']);

describe('autopath: setup (CoreDNS setup_test.go)', () => {
  it('parses @plugin, zones, CIDR zones and resolv.conf files', () => {
    expect(parse(['@kubernetes'])).toEqual({ zones: ['cluster.local.'], plugin: 'kubernetes' });
    expect(parse(['example.org', '@kubernetes'])).toEqual({ zones: ['example.org.'], plugin: 'kubernetes' });
    expect(parse(['10.0.0.0/31', '@kubernetes']).zones).toEqual(['0.0.0.10.in-addr.arpa.', '1.0.0.10.in-addr.arpa.']);
    expect(parse([resolvFile])).toEqual({ zones: ['cluster.local.'], search: ['bar.com.', 'baz.com.', ''] });
  });

  it('fails with FILE:LINE for a missing resolv-conf and an unreadable file', () => {
    expect(() => parse([])).toThrow(/^Corefile:7: autopath: no resolv-conf specified/);
    expect(() => parse(['kubernetes'])).toThrow(/^Corefile:7: autopath: failed to parse "kubernetes": ENOENT/);
  });

  it('reads resolv.conf search lists as miekg/dns does: last search or domain line wins, comments skipped', () => {
    expect(searchDomains(RESOLV)).toEqual(['bar.com.', 'baz.com.']);
    expect(searchDomains('search a.com\ndomain B.Org\n')).toEqual(['b.org.']);
    expect(searchDomains('# search x.com\n; search y.com\nsearch z.com.\n')).toEqual(['z.com.']);
    expect(searchDomains('nameserver 10.0.0.1\n')).toEqual([]);
  });
});

describe('autopath @kubernetes: FILE:LINE errors', () => {
  let api: FakeApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await FakeApiServer.start();
    kubeconfig = api.writeKubeconfig(tempDir());
  });
  afterAll(async () => { await api?.close(); });

  const corefile = (kube: string) => `cluster.local {\n    errors\n    autopath @kubernetes\n${kube}    forward . 127.0.0.1:9\n}\n`;
  const validate = async (text: string) => (await configErrors(text)).join('\n') || 'no error';

  it('under -validate: without `pods verified`, without a kubernetes plugin, with a plugin that gives no search path', async () => {
    expect(await validate(corefile(`    kubernetes {\n        kubeconfig ${kubeconfig}\n        pods insecure\n    }\n`)))
      .toMatch(/^Corefile:3: autopath: @kubernetes needs the kubernetes plugin's `pods verified`.* — add `pods verified` to the kubernetes block$/);
    expect(await validate(corefile(`    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n`))).toMatch(/^Corefile:3: autopath: @kubernetes needs/);
    expect(await validate(corefile(''))).toMatch(/^Corefile:3: autopath: @kubernetes names no plugin of this server block/);
    expect(await validate('. {\n    autopath @whoami\n    whoami\n}\n')).toMatch(/^Corefile:2: autopath: whoami does not implement the AutoPather interface/);
    expect(await validate(corefile(`    kubernetes {\n        kubeconfig ${kubeconfig}\n        pods verified\n    }\n`))).toBe('no error');
  });

  it('when serving: the server does not start without `pods verified`', async () => {
    const err = await startTestServer(corefile(`    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n`)).then(
      async (s) => { await s.stop(); return 'started'; }, (e: Error) => e.message);
    expect(err).toMatch(/\/Corefile:3: autopath: @kubernetes needs the kubernetes plugin's `pods verified`/);
  });
});

describe('autopath: an error in a later step', () => {
  it('answers SERVFAIL for the name asked and hands the error to the errors plugin (CoreDNS returns it)', async () => {
    const closed = await freePort();   // nothing listens there: forward fails at once (connection refused)
    const srv = await startTestServer(`. {\n    errors\n    autopath search.conf\n    template IN ANY example.org {\n        rcode NXDOMAIN\n    }\n    forward . 127.0.0.1:${closed}\n}\n`, {
      files: { 'search.conf': 'search example.org example.com\n' },
    });
    try {
      const p = await query(srv.port, 'b.example.org.', 'A');
      expect(RCODE[p.header.rcode]).toBe('SERVFAIL');
      expect(p.questions[0]!.name).toBe('b.example.org');
      expect(p.answers).toEqual([]);
      await eventually(() => srv.logs.filter((l) => l.startsWith('[ERROR] plugin/errors: 2 b.example.org. A:')), (l) => l.length > 0, 3000, 'the error logged');
    } finally {
      await srv.stop();
    }
  });
});

describe('autopath RESOLV-CONF (CoreDNS autopath_test.go) over a real server', () => {
  let up: Upstream;
  let srv: TestServer;
  beforeAll(async () => {
    up = await Upstream.start();
    up.add({ name: 'b.com.', type: 'A', ttl: 3600, data: '127.0.0.53' });
    up.add({ name: 'a.example.com.', type: 'A', ttl: 3600, data: '127.0.0.53' });
    srv = await startTestServer(`. {\n    autopath search.conf\n    forward . ${up.address}\n}\n`, {
      files: { 'search.conf': 'search example.org example.com com\n' },
    });
  });
  afterAll(async () => { await srv?.stop(); await up?.close(); });

  it('b.example.org: CNAME to b.com. before its A record', async () => {
    const p = await query(srv.port, 'b.example.org.', 'A');
    expect(RCODE[p.header.rcode]).toBe('NOERROR');
    expect(p.questions[0]!.name).toBe('b.example.org');
    expect(p.answers.map(rrText)).toEqual(['b.example.org. 3600 CNAME b.com.', 'b.com. 3600 A 127.0.0.53']);
    expect(up.seen('b.example.com.')).toHaveLength(1);   // the search steps in order: example.org, example.com, com
  });

  it('a.example.com: not in the first search domain, answered as is', async () => {
    const p = await query(srv.port, 'a.example.com.', 'A');
    expect(p.answers.map(rrText)).toEqual(['a.example.com. 3600 A 127.0.0.53']);
    expect(up.seen('a.example.com.example.com.')).toHaveLength(0);
  });

  it('c.example.org: every step NXDOMAIN, the first reply goes back', async () => {
    const p = await query(srv.port, 'c.example.org.', 'A');
    expect(RCODE[p.header.rcode]).toBe('NXDOMAIN');
    expect(p.questions[0]!.name).toBe('c.example.org');
    expect(p.answers).toEqual([]);
    for (const n of ['c.example.org.', 'c.example.com.', 'c.com.', 'c.']) expect(up.seen(n).length).toBeGreaterThan(0);
  });
});
