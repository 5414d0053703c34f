/**
 * The default number of answering threads: one per core the process may really use, and no more
 * than its memory limit can hold. In a container the cgroup (v2, or v1) CPU quota and memory limit
 * count, not the node's cores: a pod with kubeadm's 170Mi limit on a 32-core node must not start 32
 * workers and be OOM-killed. Each worker thread costs roughly WORKER_BYTES on top of the base.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

export const BASE_BYTES = 160 * 2 ** 20;    // control plane: Node, the Kubernetes client, indexes, headroom
export const WORKER_BYTES = 64 * 2 ** 20;   // one data-plane thread with its own copy of the indexes

function read(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
}

/** CPUs allowed by the cgroup's quota, or undefined when unlimited. */
export function cgroupCpus(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = read(`${root}/cpu.max`);
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    if (quota && quota !== 'max' && Number(period) > 0) return Number(quota) / Number(period);
    return undefined;
  }
  const q = Number(read(`${root}/cpu/cpu.cfs_quota_us`));
  const p = Number(read(`${root}/cpu/cpu.cfs_period_us`));
  return q > 0 && p > 0 ? q / p : undefined;
}

/** The cgroup's memory limit in bytes, or undefined when unlimited. */
export function cgroupMemory(root = '/sys/fs/cgroup'): number | undefined {
  const v = read(`${root}/memory.max`) ?? read(`${root}/memory/memory.limit_in_bytes`);
  if (!v || v === 'max') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : undefined;
}

export function defaultWorkers(o: { cores?: number; cpus?: number; memory?: number } = {}): number {
  let n = o.cores ?? availableParallelism();
  const cpus = 'cpus' in o ? o.cpus : cgroupCpus();
  if (cpus !== undefined) n = Math.min(n, Math.max(1, Math.ceil(cpus)));
  const mem = 'memory' in o ? o.memory : cgroupMemory();
  if (mem !== undefined) n = Math.min(n, Math.max(1, Math.floor((mem - BASE_BYTES) / WORKER_BYTES)));
  return Math.max(1, n);
}
