/**
 * Keeps a HostsIndex in step with its file: re-read when the file's modification time or size
 * changes, checked every reload interval (CoreDNS's readHosts). A file that disappears or cannot
 * be read keeps the last good entries; that is logged once, and once more when it is back.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../plugin/contract.ts';
import { type HostsIndex, type ParseOptions, parseHosts } from './hostsfile.ts';

export interface LoadEvent {
  readonly entries: number;      // entries in the index after the load (file + inline)
  readonly mtimeMs: number;      // the file's modification time
}

export class HostsFileWatcher {
  readonly path: string;
  private readonly index: HostsIndex;
  private readonly opts: ParseOptions;
  private readonly log: Logger;
  private readonly onLoad: (e: LoadEvent) => void;
  private mtimeMs = -1;
  private size = -1;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(path: string, index: HostsIndex, opts: ParseOptions, log: Logger, onLoad: (e: LoadEvent) => void) {
    this.path = path;
    this.index = index;
    this.opts = opts;
    this.log = log;
    this.onLoad = onLoad;
  }

  /** The first read, at setup. A missing file is not an error (setup has warned about it). */
  loadSync(): void {
    let st: Stats;
    let text: string;
    try {
      st = statSync(this.path);
      if (st.isDirectory()) return;
      text = readFileSync(this.path, 'utf8');
    } catch {
      return;
    }
    this.apply(text, st);
  }

  /** One periodic check: stat, and re-read when changed. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.doCheck().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    let st: Stats;
    try {
      st = await stat(this.path);
      if (st.isDirectory()) throw new Error('is a directory');
      if (st.mtimeMs === this.mtimeMs && st.size === this.size) {
        this.recovered();
        return;
      }
      const text = await readFile(this.path, 'utf8');
      this.apply(text, st);
      this.recovered();
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        const why = err instanceof Error ? err.message : String(err);
        this.log.warning(`Failed to read hosts file ${this.path}: ${why}; keeping the last ${this.index.entries()} entries`);
      }
    }
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info(`Hosts file ${this.path} is readable again`);
  }

  private apply(text: string, st: Stats): void {
    this.index.file = parseHosts(text, this.opts);
    this.mtimeMs = st.mtimeMs;
    this.size = st.size;
    const entries = this.index.entries();
    this.log.debug(`Parsed hosts file into ${entries} entries`);
    this.onLoad({ entries, mtimeMs: st.mtimeMs });
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => { void this.check(); }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }
}
