/**
 * rewrite in a real server, in front of kubernetes (the fake API server), hosts and forward (a
 * real loopback upstream), queried over real sockets with dns2 and Node's resolver: the Kubernetes
 * docs' and the CoreDNS blog's rewrite examples, cache in front of a rewrite, and FILE:LINE errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';
import { eventually } from '../../support/wait.ts';

let api: FakeApiServer;
let upstream: Upstream;
let srv: TestServer;

beforeAll(async () => {
  api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('default'));
  api.upsert('services', service('default', 'foo', { clusterIP: '10.96.7.7', ports: [{ name: 'http', port: 80 }] }));
  api.upsert('services', service('default', 'bar', { clusterIP: '10.96.8.8', ports: [{ name: 'http', port: 80 }] }));
  const kubeconfig = api.writeKubeconfig(tempDir());
  upstream = await Upstream.start();
  upstream.add({ name: 'api.upstream.example.', type: 'A', ttl: 60, data: '192.0.2.10' });
  upstream.add({ name: 'www.upstream.example.', type: 'CNAME', ttl: 60, data: 'api.upstream.example.' });
  srv = await startTestServer(`. {
    errors
    cache 30
    rewrite name foo.example.com foo.default.svc.cluster.local
    rewrite stop {
        name regex (.*)\\.my\\.domain {1}.svc.cluster.local
        answer name (.*)\\.svc\\.cluster\\.local {1}.my.domain
    }
    rewrite name suffix .corp.internal .upstream.example answer auto
    rewrite name exact alias.hosts.example real.hosts.example
    rewrite continue ttl exact api.upstream.example 5
    hosts {
        10.0.0.9 real.hosts.example
        fallthrough
    }
    kubernetes cluster.local {
        kubeconfig ${kubeconfig}
    }
    forward . ${upstream.address}
}
`);
  await eventually(() => query(srv.port, 'foo.default.svc.cluster.local', 'A').then((p) => p.answers.length), (n) => n === 1, 5000, 'kubernetes synced');
});

afterAll(async () => {
  await srv?.stop();
  await upstream?.close();
  await api?.close();
});

describe('rewrite in a server', () => {
  it('Kubernetes docs: `rewrite name foo.example.com foo.default.svc.cluster.local` answers from the cluster under the asked name', async () => {
    const p = await query(srv.port, 'foo.example.com', 'A');
    expect(p.header.rcode).toBe(0);
    expect(p.questions[0]!.name).toBe('foo.example.com');
    expect(p.answers.map((r) => [r.name, r.address])).toEqual([['foo.example.com', '10.96.7.7']]);
    // Node's resolver (c-ares) checks the question and owner names itself
    expect(await resolver(srv.port).resolve4('foo.example.com')).toEqual(['10.96.7.7']);
  });

  it('CoreDNS blog: `name regex (.*)\\.my\\.domain` with `answer name` maps a whole domain onto the cluster and back', async () => {
    const p = await query(srv.port, 'bar.default.my.domain', 'A');
    expect(p.answers.map((r) => [r.name, r.address])).toEqual([['bar.default.my.domain', '10.96.8.8']]);
    expect(await resolver(srv.port).resolve4('foo.default.my.domain')).toEqual(['10.96.7.7']);
    // a name the cluster does not have stays NXDOMAIN, with the question as asked
    const nx = await query(srv.port, 'nope.default.my.domain', 'A');
    expect(nx.header.rcode).toBe(3);
    expect(nx.questions[0]!.name).toBe('nope.default.my.domain');
  });

  it('sends the rewritten name upstream and maps the answer back (`answer auto`), CNAME targets included', async () => {
    const before = upstream.queries.length;
    const p = await query(srv.port, 'www.corp.internal', 'A');
    expect(upstream.queries.slice(before).map((q) => q.name.toLowerCase())).toContain('www.upstream.example.');
    // the test upstream answers the CNAME alone (it does not chase it)
    expect(p.answers.map((r) => [r.name, r.type, r.domain])).toEqual([['www.corp.internal', 5, 'api.corp.internal']]);
    expect(await resolver(srv.port).resolve4('api.corp.internal')).toEqual(['192.0.2.10']);
  });

  it('cache (before rewrite) keeps the answer under the asked name: the second query never reaches the upstream', async () => {
    await query(srv.port, 'cached.corp.internal', 'A');
    const seen = upstream.queries.length;
    const again = await query(srv.port, 'cached.corp.internal', 'A');
    expect(upstream.queries.length).toBe(seen);
    expect(again.questions[0]!.name).toBe('cached.corp.internal');
    expect(again.header.rcode).toBe(3);
  });

  it('rewrites in front of hosts, and a ttl rule changes the TTL of a forwarded answer', async () => {
    expect(await resolver(srv.port).resolve4('alias.hosts.example')).toEqual(['10.0.0.9']);
    const p = await query(srv.port, 'api.upstream.example', 'A');
    expect(p.answers.map((r) => [r.name, r.ttl])).toEqual([['api.upstream.example', 5]]);
  });

  it('answers over TCP the same way', async () => {
    const p = await query(srv.port, 'foo.example.com', 'A', { protocol: 'tcp' });
    expect(p.answers.map((r) => [r.name, r.address])).toEqual([['foo.example.com', '10.96.7.7']]);
  });
});

describe('rewrite: Corefile errors are FILE:LINE', () => {
  it.each([
    ['rewrite name', /Corefile:2: rewrite: too few arguments for a name rule/],
    ['rewrite name regex ([a]\\.com new-{1}.com', /Corefile:2: rewrite: invalid regex matching pattern: \(\[a\]\\\.com/],
    ['rewrite name regex (.*)\\.a {1}.{2}.b', /Corefile:2: rewrite: the rewrite regex pattern \(\{1\}\.\{2\}\.b\) uses more subexpressions/],
    ['rewrite type ANY WV', /Corefile:2: rewrite: invalid type "WV"/],
    ['rewrite foo a b', /Corefile:2: rewrite: invalid rule type "foo"/],
    ['rewrite ttl a.example -', /Corefile:2: rewrite: invalid TTL '-' for a ttl rule/],
    ['rewrite edns0 local set 0xffee {dummy}', /Corefile:2: rewrite: unsupported variable name "\{dummy\}"/],
    ['rewrite stop {\n    name regex (.*)\\.a {1}.b\n    answer ttl x y\n  }', /Corefile:2: rewrite: invalid type "ttl" for answer rule for regex rule/],
  ])('%s', async (line, err) => {
    await expect(startTestServer(`. {\n  ${line}\n  whoami\n}\n`)).rejects.toThrow(err);
  });
});
