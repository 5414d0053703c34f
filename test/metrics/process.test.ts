/**
 * The process metrics of /metrics describe the clusterdns process as the kernel sees it, once:
 * a real `clusterdns` child process (one and two worker threads) is scraped and every value is
 * checked against /proc/PID. With worker threads the scrape merges every thread's registry; the
 * process's start time must survive that merge (prom-client's aggregator drops it) and no value
 * may be added up over threads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { eventually } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLK_TCK = 100; // USER_HZ on Linux

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = undefined; dir = undefined;
});

/** The unlabelled samples of a scrape: name → every value written for it. */
function samples(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), Number(m[2])]);
  }
  return out;
}

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14 and 15)
}
function procStatusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}
function procMaxFds(pid: number): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);
}

describe('process metrics are the process\'s, once', () => {
  for (const workers of [1, 2]) {
    it(`with ${workers} worker thread(s): start time, CPU, memory and file descriptors match /proc`, async () => {
      const [dns, metrics] = [await freePort(), await freePort()];
      dir = mkdtempSync(join(tmpdir(), 'clusterdns-proc-'));
      writeFileSync(join(dir, 'Corefile'), `.:${dns} {\n    bind 127.0.0.1\n    prometheus 127.0.0.1:${metrics}\n    whoami\n}\n`);
      const spawnedAt = Date.now() / 1000;
      child = spawn(NODE, [join(ROOT, 'src/cli.ts'), '-conf', join(dir, 'Corefile'), '-workers', String(workers), '-quiet'],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => { err += d; });
      const pid = child.pid!;
      const url = `http://127.0.0.1:${metrics}/metrics`;
      await eventually(() => fetch(url).then((r) => r.status), (s) => s === 200, 15_000, `metrics on :${metrics} (${err})`);

      const cpuBefore = procCpuSeconds(pid);
      const text = await (await fetch(url)).text();
      const cpuAfter = procCpuSeconds(pid);
      const fds = readdirSync(`/proc/${pid}/fd`).length;
      const rss = procStatusKb(pid, 'VmRSS');
      const vsz = procStatusKb(pid, 'VmSize');
      const s = samples(text);

      const names = ['process_start_time_seconds', 'process_cpu_seconds_total', 'process_cpu_user_seconds_total', 'process_cpu_system_seconds_total',
        'process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds'];
      for (const n of names) expect(s.get(n), `${n}: one sample`).toHaveLength(1);
      const v = (n: string) => s.get(n)![0]!;

      // prom-client rounds the start time to the second; the child started after spawnedAt.
      expect(v('process_start_time_seconds')).toBeGreaterThanOrEqual(Math.floor(spawnedAt) - 1);
      expect(v('process_start_time_seconds')).toBeLessThanOrEqual(spawnedAt + 2);
      // CPU of the whole process (every thread), read by the process itself between our two reads.
      expect(v('process_cpu_seconds_total')).toBeGreaterThanOrEqual(cpuBefore - 0.05);
      expect(v('process_cpu_seconds_total')).toBeLessThanOrEqual(cpuAfter + 0.05);
      expect(v('process_cpu_seconds_total')).toBeCloseTo(v('process_cpu_user_seconds_total') + v('process_cpu_system_seconds_total'), 3);
      expect(v('process_resident_memory_bytes') / rss).toBeGreaterThan(0.75);
      expect(v('process_resident_memory_bytes') / rss).toBeLessThan(1.25);
      expect(v('process_virtual_memory_bytes') / vsz).toBeGreaterThan(0.9);
      expect(v('process_virtual_memory_bytes') / vsz).toBeLessThan(1.1);
      expect(Math.abs(v('process_open_fds') - fds)).toBeLessThanOrEqual(8);
      expect(v('process_max_fds')).toBe(procMaxFds(pid));
    }, 30_000);
  }
});
