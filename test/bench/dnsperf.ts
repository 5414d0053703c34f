/**
 * Runs dnsperf (Debian's package) against a server on 127.0.0.1 and reads its figures: QPS,
 * lost queries, and latency percentiles computed from dnsperf's per-query lines (-v).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PerfResult { qps: number; sent: number; lost: number; p50ms: number; p99ms: number; avgms: number }

/**
 * `latency: false` drops dnsperf's per-query lines (-v): no percentiles then (p50/p99 are NaN), but a
 * long run does not hold millions of lines in memory (the soak uses it).
 */
export async function dnsperf(port: number, queries: string[], o: { seconds?: number; clients?: number; threads?: number; outstanding?: number; tcp?: boolean; latency?: boolean } = {}): Promise<PerfResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsperf-'));
  const data = join(dir, 'queries.txt');
  writeFileSync(data, queries.join('\n') + '\n');
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', data, '-l', String(o.seconds ?? 10),
    '-c', String(o.clients ?? 4), '-T', String(o.threads ?? 1), '-q', String(o.outstanding ?? 100), '-t', '2'];
  if (o.latency !== false) args.push('-v');
  if (o.tcp) args.push('-m', 'tcp');
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', (e) => reject(new Error(`dnsperf could not start (${e.message}) — apt-get install dnsperf`)));
    p.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const lat: number[] = [];
  for (const line of out.split('\n')) {
    if (line.charCodeAt(0) !== 62 /* > */) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) lat.push(v);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]! * 1000 : NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    p50ms: pct(0.5), p99ms: pct(0.99), avgms: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

/** Resident memory of a process in MiB (VmRSS), and its peak (VmHWM). */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The pid of the first process whose command line contains `needle`. */
export function pidOf(needle: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) return Number(d);
    } catch { /* gone */ }
  }
  return undefined;
}

/** A numeric `--name N` argument of a benchmark script, or `def`. */
export function benchArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/** Start the clusterdns CLI (this checkout, this Node) on a Corefile, quiet, with N workers. */
export function spawnClusterdns(corefile: string, workers: number | undefined, stdout: 'inherit' | 'ignore' | 'pipe' = 'inherit'): ChildProcess {
  const args = [...(process.env.CLUSTERDNS_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'src/cli.ts', '-conf', corefile, '-quiet'];
  if (workers !== undefined) args.push('-workers', String(workers));
  return spawn(process.execPath, args, { stdio: ['ignore', stdout, 'inherit'] });
}
