// DNS-over-TLS upstream faults are failed tries, never thrown out of a query: a certificate that
// does not verify, client TLS material that does not fit together, a peer that resets. Each gives
// SERVFAIL with the reason for the errors plugin, in Go's wording (`dial tcp ADDR: tls: ...`).
// The TLS upstream is a real TLS listener (certificate made with openssl) in front of the
// programmable upstream.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Forward, type Timeouts } from '../../../src/plugins/forward/forward.ts';
import { parseForward } from '../../../src/plugins/forward/setup.ts';
import { replyTo } from '../../../src/dns/message.ts';
import { Rcode, Type } from '../../../src/dns/types.ts';
import type { AData } from '../../../src/dns/types.ts';
import type { Next } from '../../../src/plugin/contract.ts';
import { reportedErrors } from '../../../src/plugin/errors.ts';
import { Upstream } from '../../support/upstream.ts';
import { directive, makeReq, memLogger } from './helpers.ts';

const T: Timeouts = { overallMs: 1500, readMs: 700, hcTimeoutMs: 300 };
const nextNx: Next = (req) => replyTo(req.msg, Rcode.NXDOMAIN);
const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

let dir = '';
let why = '';
let up: Upstream;
let tlsServer: tls.Server;
let tlsPort = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwd-tls-'));
  try {
    const gen = (name: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`), '-days', '1', '-subj', '/CN=dns.test',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:dns.test'], { stdio: 'pipe' });
    gen('server');
    gen('other');
  } catch (e) {
    why = `openssl could not make a test certificate: ${String(e)}`;
    return;
  }
  up = await Upstream.start();
  up.add({ name: 'a.example.', type: 'A', ttl: 60, data: '192.0.2.9' });
  // TLS in front of the upstream's TCP port.
  tlsServer = tls.createServer({ cert: fs.readFileSync(path.join(dir, 'server.crt')), key: fs.readFileSync(path.join(dir, 'server.key')) }, (s) => {
    const c = net.connect({ host: '127.0.0.1', port: up.port });
    s.on('error', () => c.destroy());
    c.on('error', () => s.destroy());
    s.pipe(c).pipe(s);
  });
  tlsServer.on('tlsClientError', () => {});
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  tlsPort = (tlsServer.address() as net.AddressInfo).port;
});

afterAll(async () => {
  if (tlsServer) await new Promise<void>((r) => tlsServer.close(() => r()));
  if (up) await up.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function forward(text: string): Forward {
  const f = new Forward(parseForward(directive(text), '/tmp/Corefile'), memLogger(), T);
  f.start();
  cleanup.push(() => f.close());
  return f;
}

describe('DNS-over-TLS upstream faults', () => {
  test('a verified upstream answers (the TLS path works)', async (ctx) => {
    if (why) { ctx.skip(why); return; }
    const f = forward(`forward . tls://127.0.0.1:${tlsPort} {\n tls ${path.join(dir, 'server.crt')}\n tls_servername dns.test\n}`);
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(res.answers.map((r) => (r.data as AData).address)).toEqual(['192.0.2.9']);
  });

  test('a certificate that does not verify: SERVFAIL with `dial tcp ADDR: tls: failed to verify certificate: ...`, nothing reaches the upstream', async (ctx) => {
    if (why) { ctx.skip(why); return; }
    const before = up.seen('a.example.').length;
    const f = forward(`forward . tls://127.0.0.1:${tlsPort} {\n tls ${path.join(dir, 'other.crt')}\n tls_servername dns.test\n}`);
    const req = makeReq('a.example.', Type.A);
    const res = await f.serve(req, nextNx);
    expect(res.rcode).toBe(Rcode.SERVFAIL);
    expect(reportedErrors(req).map((e) => e.message)).toEqual([`dial tcp 127.0.0.1:${tlsPort}: tls: failed to verify certificate: self-signed certificate`]);
    expect(up.seen('a.example.').length).toBe(before); // nothing got through
  });

  test('client certificate and key that do not belong together: SERVFAIL, the query is not thrown', async (ctx) => {
    if (why) { ctx.skip(why); return; }
    const f = forward(`forward . tls://127.0.0.1:${tlsPort} {\n tls ${path.join(dir, 'server.crt')} ${path.join(dir, 'other.key')} ${path.join(dir, 'server.crt')}\n tls_servername dns.test\n}`);
    const req = makeReq('a.example.', Type.A);
    const res = await f.serve(req, nextNx);
    expect(res.rcode).toBe(Rcode.SERVFAIL);
    expect(reportedErrors(req).map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^dial tcp 127\\.0\\.0\\.1:${tlsPort}: tls: `))]);
  });

  test('a peer that resets the connection: SERVFAIL with the reset, the query is not thrown', async () => {
    const rst = net.createServer((s) => { s.resetAndDestroy(); });
    await new Promise<void>((r) => rst.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => rst.close(() => r())));
    const port = (rst.address() as net.AddressInfo).port;
    const f = forward(`forward . 127.0.0.1:${port} {\n force_tcp\n}`);
    const req = makeReq('a.example.', Type.A);
    const res = await f.serve(req, nextNx);
    expect(res.rcode).toBe(Rcode.SERVFAIL);
    expect(reportedErrors(req).map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^read tcp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection reset by peer$|^dial tcp 127\\.0\\.0\\.1:${port}: connect: connection reset by peer$`))]);
  });
});
