/**
 * The clusterdns command (src/bin.js, as the image starts it) with one thread under kubeadm's
 * 170Mi, given as CLUSTERDNS_MEMORY_LIMIT (the same heap limits as inside a 170Mi cgroup), for
 * tests that measure the whole process's RSS. Started once the cluster name `ready` answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { query } from './dns-client.ts';
import { endpointSlice, FakeApiServer, namespace, service } from './fake-apiserver.ts';
import { until } from './wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');

export interface LimitedServer { child: ChildProcess; log(): string }

export async function startLimitedServer(corefile: string, port: number, ready = 'svc1.ns1.svc.cluster.local'): Promise<LimitedServer> {
  let log = '';
  const child = spawn(NODE, [join(ROOT, 'src/bin.js'), '-conf', corefile, '-workers', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLUSTERDNS_MEMORY_LIMIT: '170Mi' },
  });
  child.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { log += c.toString(); });
  const up = await until(async () => (await query(port, ready, 'A', { timeoutMs: 300 }).catch(() => null))?.answers.length === 1, 30_000);
  if (!up) { child.kill('SIGKILL'); throw new Error(`clusterdns did not answer:\n${log}`); }
  return { child, log: () => log };
}

/** Resident memory of a process, in MiB. */
export const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** A fake API server with `services` Services svcI in namespaces ns0..ns9, each with one EndpointSlice of 10 endpoints. */
export async function clusterApi(services: number): Promise<FakeApiServer> {
  const api = await FakeApiServer.start();
  for (let n = 0; n < 10; n++) api.upsert('namespaces', namespace(`ns${n}`));
  for (let i = 0; i < services; i++) {
    const ip = (b: number, x: number) => `${b}.0.${x >> 8}.${x & 255}`;
    api.upsert('services', service(`ns${i % 10}`, `svc${i}`, { clusterIP: ip(10, i), ports: [{ name: 'http', port: 80 }] }));
    api.upsert('endpointslices', endpointSlice(`ns${i % 10}`, `svc${i}-x`, `svc${i}`, {
      endpoints: Array.from({ length: 10 }, (_, e) => ({ ip: `11.${(i >> 8) & 255}.${i & 255}.${e}` })), ports: [{ name: 'http', port: 80 }],
    }));
  }
  return api;
}
