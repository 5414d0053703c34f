/**
 * kubernetes `endpoint http://user:password@host`: the password never appears in a log line or an
 * error, and the userinfo is sent as HTTP basic auth (as Go's client, so CoreDNS, does) — checked by
 * an authenticating proxy in front of the fake API server.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { redactUserinfo } from '../../../src/plugins/kubernetes/redact.ts';
import { definition } from '../../../src/plugins/kubernetes/index.ts';
import { directive } from '../forward/helpers.ts';
import { setupContext } from '../../support/setup-context.ts';
import { eventually } from '../../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

/** An HTTP proxy to `api` that answers 401 unless the request carries basic auth `user:pass`. */
async function basicAuthProxy(api: FakeApiServer, user: string, pass: string): Promise<{ port: number; unauthorized: () => number; close: () => Promise<void> }> {
  let denied = 0;
  const want = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const srv = http.createServer((req, res) => {
    if (req.headers.authorization !== want) { denied++; res.writeHead(401).end('{"kind":"Status","code":401}'); return; }
    const up = http.request({ host: '127.0.0.1', port: api.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const sockets = new Set<net.Socket>();
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const close = () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => srv.close(() => r())); };
  return { port: (srv.address() as net.AddressInfo).port, unauthorized: () => denied, close };
}

describe('kubernetes endpoint with user:password', () => {
  it('is sent as basic auth and never logged', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'web', { clusterIP: '10.96.5.5', ports: [{ name: 'http', port: 80 }] }));
    const proxy = await basicAuthProxy(api, 'alice', 's3cr3t/pw');
    const s = await startTestServer(`cluster.local {\n  kubernetes {\n    endpoint http://alice:s3cr3t%2Fpw@127.0.0.1:${proxy.port}\n  }\n}\n`);
    // Proxy first: the server's stop waits ~30 s for watches through a proxy that stays open.
    cleanup.push(() => s.stop(), () => proxy.close());
    await eventually(async () => (await query(s.port, 'web.default.svc.cluster.local', 'A')).answers[0]?.address, (v) => v === '10.96.5.5', 5_000, 'web answered');
    expect(proxy.unauthorized()).toBe(0);
    expect(s.logs.join('\n')).not.toMatch(/s3cr3t/);
  });

  it('errors about an unreachable endpoint do not carry the password', async () => {
    const s = await startTestServer(`cluster.local {\n  kubernetes {\n    endpoint http://alice:s3cr3t@127.0.0.1:1\n    startup_timeout 1s\n  }\n}\n`);
    cleanup.push(() => s.stop());
    await eventually(() => s.logs.filter((l) => l.includes('Failed to watch')).length, (n) => n > 0, 5_000, 'a watch error logged');
    expect(s.logs.join('\n')).not.toMatch(/s3cr3t/);
  });

  it('a bad endpoint is reported with its userinfo redacted', async () => {
    const ctx = setupContext(['cluster.local.']);
    const d = directive('kubernetes cluster.local {\n  endpoint ftp://alice:s3cr3t@host\n}');
    await expect(async () => definition.setup(d, ctx)).rejects.toThrow(/endpoint "ftp:\/\/REDACTED@host" is not a URL/);
    expect(redactUserinfo('GET http://a:b@h:6443/api and https://tok@x/y')).toBe('GET http://REDACTED@h:6443/api and https://REDACTED@x/y');
  });
});
