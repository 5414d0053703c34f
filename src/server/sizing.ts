/**
 * How big the process may grow, from the container's limits:
 * - the default number of answering threads: one per core the process may really use, and no more
 *   than its memory limit can hold. In a container the cgroup (v2, or v1) CPU quota and memory limit
 *   count, not the node's cores: a pod with kubeadm's 170Mi limit on a 32-core node must not start
 *   32 workers and be OOM-killed. The cluster is sized by CoreDNS's formula for the limit
 *   (bytesFor): one thread holds the index; with workers, the control thread holds the records and
 *   builds the cluster image every worker reads (one copy in shared memory), and each worker costs
 *   an isolate and its bounded lookup memos. So 170Mi still gets one thread (the formula's cluster
 *   leaves no room for a second isolate), while a larger limit buys threads.
 * - V8's heap limits, main thread (flags src/bin.js starts Node with) and workers (resourceLimits):
 *   V8 sizes its heap from the machine, not the cgroup (in a 170Mi cgroup it still allows a 259 MiB
 *   heap) and grows its young generation to 2×64 MiB on a large machine, which then stays resident.
 *   Bounded here, V8 collects before the kernel's OOM killer has a reason to act.
 * Figures measured at 10,000 Services / 100,000 endpoints with kubeadm's Corefile (README "Memory").
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

const Mi = 2 ** 20;
/** Memory outside the V8 heaps: the node binary's pages, libraries, malloc, sockets (measured ~60 MiB). */
export const NATIVE_BYTES = 64 * Mi;
/** @kubernetes/client-node and the watches, in the control thread only. */
export const CLIENT_BYTES = 24 * Mi;
/** One V8 isolate with the server's code and its own buffers, before any cluster data. */
export const ISOLATE_BYTES = 24 * Mi;

/**
 * The bytes one thread's copy of the cluster index takes for the cluster a memory limit is meant
 * for, by CoreDNS's sizing formula (MB = (pods + services) / 1000 + 54): ~360 bytes an object
 * (measured: 10,000 Services + 100,000 endpoints, 44 MiB of heap).
 */
export function indexBytes(memory: number): number {
  return Math.max(0, memory / 1e6 - 54) * 1000 * 360;
}

/**
 * The bytes of the shared cluster image (src/plugins/kubernetes/cluster-image.ts) for the formula's
 * cluster: ~60 bytes an object (measured: 10,000 Services + 100,000 endpoints, 6.24 MiB).
 */
export function imageBytes(memory: number): number {
  return Math.max(0, memory / 1e6 - 54) * 1000 * 60;
}

/** A worker's own memory besides its isolate: the image reader's memos (capped) and query buffers. */
export const WORKER_STATE_BYTES = 8 * Mi;

/**
 * Bytes needed by N answering threads: one thread does everything; with more, the main thread is
 * the control plane (client, records, the image it publishes and the one it builds next) and each
 * worker reads that image. Measured at 10k/100k: 1 thread 130 MiB RSS (this gives 156), 2 workers
 * 203–205 MiB after sync (this gives 233).
 */
export function bytesFor(workers: number, memory: number): number {
  const control = ISOLATE_BYTES + indexBytes(memory);
  if (workers <= 1) return NATIVE_BYTES + CLIENT_BYTES + control;
  return NATIVE_BYTES + CLIENT_BYTES + control + 2 * imageBytes(memory) + workers * (ISOLATE_BYTES + WORKER_STATE_BYTES);
}

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

/**
 * The memory limit in bytes, or undefined when unlimited: with the default root, the lower of
 * CLUSTERDNS_MEMORY_LIMIT (a Kubernetes quantity, "170Mi"; for hosts without a cgroup limit, as Go
 * programs take GOMEMLIMIT) and the limit of this process's own cgroup as libuv finds it
 * (process.constrainedMemory(): v1 or v2, nested cgroups included), else the files at the root of
 * the cgroup mount (a container's own cgroup).
 */
export function cgroupMemory(root?: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const valid = (n: number) => (Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : undefined);
  if (root === undefined) {
    const set = parseQuantity(env.CLUSTERDNS_MEMORY_LIMIT);
    const own = valid(process.constrainedMemory?.() ?? 0) ?? cgroupMemory('/sys/fs/cgroup');
    return set !== undefined && (own === undefined || set < own) ? set : own;
  }
  const v = read(`${root}/memory.max`) ?? read(`${root}/memory/memory.limit_in_bytes`);
  if (!v || v === 'max') return undefined;
  return valid(Number(v));
}

/** A Kubernetes memory quantity ("170Mi", "1Gi", "180M", "178257920") in bytes; undefined if absent or invalid. */
export function parseQuantity(q: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$/.exec(q ?? '');
  if (!m) return undefined;
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  const n = Number(m[1]) * (m[2] ? unit[m[2]]! : 1);
  return n > 0 ? Math.floor(n) : undefined;
}

export function defaultWorkers(o: { cores?: number; cpus?: number; memory?: number } = {}): number {
  let n = o.cores ?? availableParallelism();
  const cpus = 'cpus' in o ? o.cpus : cgroupCpus();
  if (cpus !== undefined) n = Math.min(n, Math.max(1, Math.ceil(cpus)));
  const mem = 'memory' in o ? o.memory : cgroupMemory();
  if (mem !== undefined) while (n > 1 && bytesFor(n, mem) > mem) n--;
  return Math.max(1, n);
}

export interface HeapLimits {
  oldMiB?: number;    // V8 old generation (--max-old-space-size, resourceLimits.maxOldGenerationSizeMb)
  semiMiB: number;    // one young-generation semi-space (--max-semi-space-size; young = 3 × semi)
}

/**
 * Heap limits of each thread for a memory limit (undefined: unlimited) and a thread count: the
 * young generation small (it only holds per-query garbage), and the old generations sharing what
 * the limit leaves after NATIVE_BYTES equally. A cap, not an allocation: the control thread's
 * index and a worker's per-thread plugin state (zone files, rewrite rules) each get room, and
 * what a worker does not use is never resident. Unlimited: only the
 * young generation is bounded.
 */
export function heapLimits(memory: number | undefined, workers: number): { main: HeapLimits; worker: HeapLimits } {
  if (memory === undefined) return { main: { semiMiB: 8 }, worker: { semiMiB: 8 } };
  // Measured: 20 reloads at 1,000 Services grew RSS by 62 MiB with 2 MiB semi-spaces and V8's own
  // old-generation limit, 36 MiB with 16 MiB semi-spaces and a 64 MiB limit, 8 MiB with both small.
  const semiMiB = Math.min(8, Math.max(1, Math.floor(memory / Mi / 64)));
  const isolates = workers > 1 ? workers + 1 : 1;
  const heaps = Math.max(48 * Mi, memory - NATIVE_BYTES - 3 * semiMiB * Mi * isolates);
  const share = Math.max(16, Math.floor(heaps / isolates / Mi));
  return { main: { oldMiB: share, semiMiB }, worker: { oldMiB: share, semiMiB } };
}

/** Node flags for the main thread's heap, from this process's memory limit and default threads. */
export function mainHeapFlags(memory = cgroupMemory(), workers = defaultWorkers({ memory })): string[] {
  const { main } = heapLimits(memory, workers);
  return [...(main.oldMiB ? [`--max-old-space-size=${main.oldMiB}`] : []), `--max-semi-space-size=${main.semiMiB}`];
}

/** A worker thread's resourceLimits, for the same memory limit and thread count. */
export function workerResourceLimits(workers: number, memory = cgroupMemory()): { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb: number } {
  const { worker } = heapLimits(memory, workers);
  return { ...(worker.oldMiB ? { maxOldGenerationSizeMb: worker.oldMiB } : {}), maxYoungGenerationSizeMb: 3 * worker.semiMiB };
}
