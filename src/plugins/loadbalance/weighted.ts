/**
 * `loadbalance weighted WEIGHTFILE { reload DURATION }` (CoreDNS's plugin/loadbalance/weighted.go):
 * for A, AAAA and SRV questions, one A/AAAA record of the answer (and of the additional section) is
 * picked at random with probability proportional to its weight and moved to the top; the rest keep
 * their order. Addresses missing from the weight file weigh 1.
 *
 * Weight file:   # comment
 *                www.example.com        (a domain name line starts a group)
 *                100.64.1.1 3           (address and weight 1..255)
 */
import { createHash } from 'node:crypto';
import { Type, type AData, type ResourceRecord } from '../../dns/types.ts';
import type { Logger } from '../../plugin/contract.ts';
import { canonicalIP } from '../../dns/ip.ts';
import { groupRecords } from './shuffle.ts';
import { readUserFile, readUserFileSync } from '../../corefile/files.ts';

export type Weights = Map<string, Map<string, number>>; // owner name → canonical address → weight

export class WeightFileError extends Error {}

export function parseWeights(text: string, fileName: string): Weights {
  const domains: Weights = new Map();
  let current: Map<string, number> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f.length === 1) {
      if (canonicalIP(f[0]!) !== undefined) {
        throw new WeightFileError(`Wrong domain name:"${f[0]}" in weight file ${fileName}. (Maybe a missing weight value?)`);
      }
      const name = f[0]!.endsWith('.') ? f[0]! : `${f[0]}.`;
      current = domains.get(name);
      if (!current) { current = new Map(); domains.set(name, current); }
    } else if (f.length === 2) {
      const ip = canonicalIP(f[0]!);
      if (ip === undefined) throw new WeightFileError(`Wrong IP address:"${f[0]}" in weight file ${fileName}`);
      const w = /^\d{1,3}$/.test(f[1]!) ? Number(f[1]) : NaN;
      if (!(w >= 1 && w <= 255)) throw new WeightFileError(`Wrong weight value:"${f[1]}" in weight file ${fileName}`);
      if (!current) throw new WeightFileError(`Missing domain name in weight file ${fileName}`);
      if (!current.has(ip)) current.set(ip, w); // the first weight listed for an address counts
    } else {
      throw new WeightFileError(`Could not parse weight line:"${line}" in weight file ${fileName}`);
    }
  }
  return domains;
}

export class WeightedRoundRobin {
  readonly fileName: string;
  private weights: Weights = new Map();
  private digest = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(fileName: string, log: Logger) {
    this.fileName = fileName;
    this.log = log;
  }

  private apply(text: string): boolean {
    const digest = createHash('md5').update(text).digest('hex');
    if (digest === this.digest) return false;
    this.weights = parseWeights(text, this.fileName);
    this.digest = digest;
    return true;
  }

  /** The first load. Throws WeightFileError on bad content, the fs error when it cannot be read. */
  loadSync(): void { this.apply(readUserFileSync(this.fileName, 'weights')); }

  async reload(): Promise<void> {
    try {
      if (this.apply((await readUserFile(this.fileName, 'weights')).text)) this.log.info(`Successfully reloaded weight file ${this.fileName}`);
    } catch (err) {
      this.log.error(err instanceof WeightFileError ? err.message : 'weight file open error');
    }
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => { void this.reload(); }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reorder one section: CNAMEs, the rest, addresses with the weighted pick on top, MX. */
  section(records: readonly ResourceRecord[]): ResourceRecord[] {
    const { cname, address, mx, rest } = groupRecords(records);
    if (address.length === 0) return records.slice();
    const top = this.pickTop(address);
    if (top > 0) { const t = address[0]!; address[0] = address[top]!; address[top] = t; }
    return cname.concat(rest, address, mx);
  }

  private pickTop(address: readonly ResourceRecord[]): number {
    const w = new Array<number>(address.length);
    let sum = 0;
    for (let i = 0; i < address.length; i++) {
      const r = address[i]!;
      const ip = canonicalIP((r.data as AData).address);
      w[i] = (ip !== undefined ? this.weights.get(r.name)?.get(ip) : undefined) ?? 1;
      sum += w[i]!;
    }
    let v = Math.floor(Math.random() * sum);
    for (let i = 0; i < w.length; i++) {
      v -= w[i]!;
      if (v < 0) return i;
    }
    return 0;
  }
}
