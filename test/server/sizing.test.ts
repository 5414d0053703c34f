import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesFor, cgroupCpus, cgroupMemory, defaultWorkers, heapLimits, mainHeapFlags, NATIVE_BYTES, parseQuantity, workerResourceLimits } from '../../src/server/sizing.ts';

const Mi = 2 ** 20;

describe('default worker count', () => {
  it('is the core count when nothing limits it', () => {
    expect(defaultWorkers({ cores: 8, cpus: undefined, memory: undefined })).toBe(8);
  });
  it('follows the CPU quota, rounded up', () => {
    expect(defaultWorkers({ cores: 32, cpus: 1.5, memory: undefined })).toBe(2);
    expect(defaultWorkers({ cores: 32, cpus: 0.1, memory: undefined })).toBe(1);
  });
  it("fits kubeadm's 170Mi limit with a single thread, and the formula's cluster at any limit", () => {
    expect(defaultWorkers({ cores: 32, cpus: undefined, memory: 170 * Mi })).toBe(1);
    for (const mi of [70, 170, 256, 512, 1024, 4096, 16384]) {
      const n = defaultWorkers({ cores: 64, cpus: undefined, memory: mi * Mi });
      expect(n).toBeGreaterThanOrEqual(1);
      if (n > 1) expect(bytesFor(n, mi * Mi), `${mi}Mi, ${n} threads`).toBeLessThanOrEqual(mi * Mi);
      if (n < 64) expect(bytesFor(n + 1, mi * Mi), `${mi}Mi, one more than ${n}`).toBeGreaterThan(mi * Mi);
    }
    // 10k Services / 100k endpoints measured 130 MiB RSS on one thread, 203-205 with 2 workers
    expect(bytesFor(1, 170 * Mi)).toBeGreaterThanOrEqual(130 * Mi);
    expect(bytesFor(2, 170 * Mi)).toBeGreaterThanOrEqual(205 * Mi);
  });
  it('buys threads with a larger limit: workers share one cluster image, so each costs little', () => {
    // With a copy of the index per worker, 512Mi (the formula's 480k-object cluster) got 1 thread.
    expect(defaultWorkers({ cores: 64, cpus: undefined, memory: 512 * Mi })).toBeGreaterThan(1);
    const perWorker = bytesFor(3, 512 * Mi) - bytesFor(2, 512 * Mi);
    expect(perWorker).toBeLessThan(40 * Mi);
  });
  it('reads cgroup v2 and v1 files', () => {
    const v2 = mkdtempSync(join(tmpdir(), 'cg2-'));
    writeFileSync(join(v2, 'cpu.max'), '150000 100000\n');
    writeFileSync(join(v2, 'memory.max'), `${512 * Mi}\n`);
    expect(cgroupCpus(v2)).toBe(1.5);
    expect(cgroupMemory(v2)).toBe(512 * Mi);
    writeFileSync(join(v2, 'cpu.max'), 'max 100000\n');
    writeFileSync(join(v2, 'memory.max'), 'max\n');
    expect(cgroupCpus(v2)).toBeUndefined();
    expect(cgroupMemory(v2)).toBeUndefined();
    const v1 = mkdtempSync(join(tmpdir(), 'cg1-'));
    mkdirSync(join(v1, 'cpu'));
    mkdirSync(join(v1, 'memory'));
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_quota_us'), '200000');
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_period_us'), '100000');
    writeFileSync(join(v1, 'memory', 'memory.limit_in_bytes'), String(256 * Mi));
    expect(cgroupCpus(v1)).toBe(2);
    expect(cgroupMemory(v1)).toBe(256 * Mi);
  });
});

describe('memory limit', () => {
  it('takes CLUSTERDNS_MEMORY_LIMIT (a Kubernetes quantity) when no cgroup limit is lower', () => {
    expect(parseQuantity('170Mi')).toBe(170 * Mi);
    expect(parseQuantity('1Gi')).toBe(1024 * Mi);
    expect(parseQuantity('180M')).toBe(180e6);
    expect(parseQuantity('178257920')).toBe(178257920);
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
    const own = cgroupMemory(undefined, {});
    expect(cgroupMemory(undefined, { CLUSTERDNS_MEMORY_LIMIT: '170Mi' })).toBe(own !== undefined && own < 170 * Mi ? own : 170 * Mi);
    expect(cgroupMemory(undefined, { CLUSTERDNS_MEMORY_LIMIT: 'nonsense' })).toBe(own);
  });
});

describe('V8 heap limits', () => {
  it("fit kubeadm's 170Mi with one thread: the main heap gets what the native part leaves", () => {
    expect(mainHeapFlags(170 * Mi, 1)).toEqual(['--max-old-space-size=100', '--max-semi-space-size=2']);
  });
  it('never add up to more than the limit, whatever the thread count', () => {
    for (const mem of [170, 256, 512, 1024, 4096].map((m) => m * Mi)) {
      for (const workers of [1, 2, 3, 4, 8]) {
        const { main, worker } = heapLimits(mem, workers);
        const young = 3 * main.semiMiB * Mi * (workers > 1 ? workers + 1 : 1);
        const old = (main.oldMiB! + (workers > 1 ? workers * worker.oldMiB! : 0)) * Mi;
        if (workers <= defaultWorkers({ cores: 64, cpus: undefined, memory: mem })) expect(NATIVE_BYTES + young + old, `${mem / Mi}Mi ${workers} threads`).toBeLessThanOrEqual(mem);
        expect(main.oldMiB!).toBe(worker.oldMiB!);
      }
    }
  });
  it('bound only the young generation when memory is unlimited (V8 grows it to 2×64 MiB otherwise)', () => {
    expect(mainHeapFlags(undefined, 2)).toEqual(['--max-semi-space-size=8']);
    expect(workerResourceLimits(2, undefined)).toEqual({ maxYoungGenerationSizeMb: 24 });
    expect(workerResourceLimits(3, 1024 * Mi)).toEqual({ maxOldGenerationSizeMb: heapLimits(1024 * Mi, 3).worker.oldMiB, maxYoungGenerationSizeMb: 24 });
  });
});
