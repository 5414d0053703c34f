// Side HTTP listeners (src/plugin/side-http.ts), the one service health, ready and prometheus
// use: address arguments as CoreDNS reads them, one listener per address, the newest claim of a
// path answers, and the listener closes with its last claim.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { claimRoute, sideAddress } from '../../src/plugin/side-http.ts';
import { httpGet } from '../server/helpers.ts';
import { freePort } from '../support/ports.ts';
import { directive } from '../plugins/forward/helpers.ts';

describe('sideAddress', () => {
  it('takes the default, adds the default port to a bare host, and rejects junk with FILE:LINE', () => {
    expect(sideAddress(directive('health'), ':8080')).toBe(':8080');
    expect(sideAddress(directive('prometheus'), 'localhost:9153')).toBe('localhost:9153');
    expect(sideAddress(directive('ready 10.0.0.1'), ':8181')).toBe('10.0.0.1:8181');
    expect(sideAddress(directive('ready [::1]:9000'), ':8181')).toBe('[::1]:9000');
    expect(() => sideAddress(directive('health :99999'), ':8080')).toThrow(/^\/tmp\/Corefile:2: health: invalid address ":99999": port 99999 out of range — use HOST:PORT, e.g. :8080$/);
    expect(() => sideAddress(directive('ready a:b:c'), ':8181')).toThrow(/^\/tmp\/Corefile:2: ready: invalid address "a:b:c": "a:b:c" is not HOST:PORT/);
  });
});

describe('claimRoute', () => {
  it('shares one listener per address; the newest claim answers; the last release closes it', async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    const url = `http://${addr}`;
    const old = await claimRoute(addr, '/health', (_q, res) => res.end('old'));
    const other = await claimRoute(addr, '/ready', (_q, res) => res.end('ready'));
    const next = await claimRoute(addr, '/health', (_q, res) => res.end('new'));
    expect((await httpGet(`${url}/health`)).body).toBe('new');
    expect((await httpGet(`${url}/ready`)).body).toBe('ready');
    expect((await httpGet(`${url}/nothing`)).status).toBe(404);
    await next();
    expect((await httpGet(`${url}/health`)).body).toBe('old');   // a reload that failed gives the route back
    await old();
    expect((await httpGet(`${url}/health`)).status).toBe(404);
    await other();
    await expect(httpGet(`${url}/ready`)).rejects.toThrow();      // closed with its last claim
  });

  it('a port in use is an error naming the address', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const taken = `127.0.0.1:${(busy.address() as net.AddressInfo).port}`;
      await expect(claimRoute(taken, '/y', (_q, res) => res.end())).rejects.toThrow(new RegExp(`^cannot listen on ${taken}: .*EADDRINUSE`));
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
  });
});
