/**
 * The NS records of the zone apex name this server, as CoreDNS's ns.go finds it: the Service
 * (kube-dns) whose endpoints carry this pod's address, else the pod's own address as
 * ns.dns.<zone>, else (a host with only loopback, where CoreDNS has none) the loopback address.
 * Each case runs apex-probe.ts in its own network namespace (unshare -n) so the "pod" has exactly
 * the addresses the case needs: a veth with 10.244.0.20, or only lo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { soaLine } from '../../support/k8s-fixtures.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const POD_IP = '10.244.0.20';
const netns = spawnSync('unshare', ['-n', 'true']).status === 0;

type Answers = Record<string, { rcode: string; aa: boolean; answer: string[]; ns: string[]; extra: string[] }>;

/** Run the probe in a fresh network namespace set up by `setup` (shell commands). */
function probe(setup: string, endpoint: string): Promise<Answers> {
  const script = `set -e; ip link set lo up; ${setup} exec "${NODE}" test/plugins/kubernetes/apex-probe.ts "${endpoint}"`;
  const p = spawn('unshare', ['-n', 'sh', '-c', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  p.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
  return new Promise((resolve, reject) => p.on('exit', (code) => {
    clearTimeout(timer);
    if (code !== 0) reject(new Error(`probe failed (${code}): ${err}`));
    else resolve(JSON.parse(out.trim().split('\n').pop()!) as Answers);
  }));
}

const POD_NET = `ip link add eth0 type veth peer name peer0; ip addr add ${POD_IP}/24 dev eth0; ip link set eth0 up; ip link set peer0 up;`;
const noLinkLocal = (lines: string[]) => lines.filter((l) => !/ AAAA fe80:/.test(l));

describe.skipIf(!netns)('kubernetes: NS at the zone apex (needs unshare -n)', () => {
  let withService: Answers, podOnly: Answers, loopbackOnly: Answers;
  beforeAll(async () => {
    [withService, podOnly, loopbackOnly] = await Promise.all([probe(POD_NET, POD_IP), probe(POD_NET, ''), probe('', '')]);
  }, 120_000);

  it('names the kube-dns Service whose endpoints carry this pod, with its cluster IP as glue', () => {
    const a = withService;
    expect(a['cluster.local. NS']).toEqual({
      rcode: 'NOERROR', aa: true, answer: ['cluster.local. 5 NS kube-dns.kube-system.svc.cluster.local.'], ns: [],
      extra: ['kube-dns.kube-system.svc.cluster.local. 5 A 10.96.0.10'],
    });
    expect(a['ns.dns.cluster.local. A']).toMatchObject({ rcode: 'NOERROR', answer: ['ns.dns.cluster.local. 5 A 10.96.0.10'] });
    expect(a['ns.dns.cluster.local. AAAA']).toMatchObject({ rcode: 'NOERROR', answer: [], ns: [soaLine()] });
    expect(a['cluster.local. SOA']!.answer).toEqual([soaLine()]);
  });

  it('without such a Service, answers ns.dns.<zone> with the pod address', () => {
    const a = podOnly;
    const ns = a['cluster.local. NS']!;
    expect(ns.answer).toEqual(['cluster.local. 5 NS ns.dns.cluster.local.']);
    expect(noLinkLocal(ns.extra)).toEqual([`ns.dns.cluster.local. 5 A ${POD_IP}`]);
    expect(a['ns.dns.cluster.local. A']!.answer).toEqual([`ns.dns.cluster.local. 5 A ${POD_IP}`]);
  });

  it('on a host with only loopback, answers with the loopback addresses instead of NODATA', () => {
    const a = loopbackOnly;
    const ns = a['cluster.local. NS']!;
    expect(ns.answer).toEqual(['cluster.local. 5 NS ns.dns.cluster.local.']);
    expect(ns.extra).toContain('ns.dns.cluster.local. 5 A 127.0.0.1');
    expect(a['ns.dns.cluster.local. A']!.answer).toEqual(['ns.dns.cluster.local. 5 A 127.0.0.1']);
  });
});
