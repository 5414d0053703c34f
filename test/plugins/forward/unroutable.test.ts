// An upstream the node cannot route to (issue 11, item 1): an IPv4-only pod whose resolv.conf
// names an IPv6 server. Reproduced without leaving loopback in a network namespace this test
// creates: only `lo`, IPv6 disabled, `forward . [::1]:5300 127.0.0.1:PORT`. That upstream must fail
// like a refused one (counted, health-checked, marked down) while the other answers every query;
// no worker thread may die of it.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ns = `cdns-fwd-${process.pid}`;
let why = '';

beforeAll(() => {
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' });
  } catch (e) {
    why = `cannot create a network namespace (needs root and iproute2): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    return;
  }
  execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'], { stdio: 'pipe' });
});

afterAll(() => {
  if (!why) spawnSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
});

describe('an upstream the node cannot route', () => {
  test('fails like a refused one: the next upstream answers every query, no thread dies', (ctx) => {
    if (why) { ctx.skip(why); return; }
    const child = fileURLToPath(new URL('./netns-child.ts', import.meta.url));
    const run = spawnSync('ip', ['netns', 'exec', ns, process.execPath, child], { encoding: 'utf8', timeout: 60_000 });
    const last = run.stdout.trim().split('\n').pop() ?? '';
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    const r = JSON.parse(last) as {
      udpOk: number; tcpOk: number; only6Rcode: number; udpOkLater: number;
      requests6Before: number; requests6After: number; hcFailures6: number; panics: number; logs: string[];
    };
    const logs = r.logs.join('\n');
    expect(r.logs.filter((l) => l.includes('worker exited') || l.startsWith('[ERROR] worker:')), logs).toEqual([]);
    expect(r.udpOk, logs).toBe(20);
    expect(r.tcpOk, logs).toBe(5);
    // Only the unroutable upstream: SERVFAIL, and the errors plugin says why, as Go words it.
    expect(r.only6Rcode).toBe(2);
    expect(r.logs.some((l) => /^\[ERROR\] plugin\/errors: 2 x\.only6\.test\. A: dial udp \[::1\]:5300: connect: /.test(l)), logs).toBe(true);
    // Health-checked and marked down: failed checks counted; once down, queries no longer try it
    // (at most once more per worker thread, for a thread that had not met it yet).
    expect(r.hcFailures6).toBeGreaterThan(0);
    expect(r.udpOkLater, logs).toBe(20);
    expect(r.requests6After - r.requests6Before).toBeLessThanOrEqual(2);
    expect(r.panics).toBe(0);
  }, 90_000);
});
