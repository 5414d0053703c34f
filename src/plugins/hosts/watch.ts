/**
 * Reads the hosts file when it changes: re-read when the file's modification time or size
 * changes, checked every reload interval (CoreDNS's readHosts), parsed and encoded into one shared
 * table (src/plugins/hosts/table.ts) handed to onLoad, which publishes it to every thread. Runs in
 * one thread only (control, or the only one). A file that disappears or cannot be read keeps the
 * last good entries; that is logged once, and once more when it is back.
 * Reads go through readUserFile: only a regular file up to 16 MiB, so a FIFO or device swapped in
 * for the file cannot block or flood the thread.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readUserBytesWithStatsSync, readUserFile, UserFileError } from '../../corefile/files.ts';
import type { Logger } from '../../plugin/contract.ts';
import { PeriodicCheck } from '../../plugin/periodic.ts';
import type { HostsIndex, ParseOptions } from './hostsfile.ts';
import { parseHostsTable } from './table.ts';

export interface LoadEvent {
  readonly table: SharedArrayBuffer;   // the file's entries, encoded (HostsTable)
  readonly mtimeMs: number;            // the file's modification time
}

export class HostsFileWatcher extends PeriodicCheck {
  readonly path: string;
  private readonly index: HostsIndex;   // where onLoad puts the table: read here for the log lines' counts
  private readonly opts: ParseOptions;
  private readonly log: Logger;
  private readonly onLoad: (e: LoadEvent) => void;
  private mtimeMs = -1;
  private size = -1;
  private failing = false;
  private failingWhy = '';       // the reason last logged, so a changed reason is logged again

  constructor(path: string, index: HostsIndex, opts: ParseOptions, log: Logger, onLoad: (e: LoadEvent) => void) {
    super();
    this.path = path;
    this.index = index;
    this.opts = opts;
    this.log = log;
    this.onLoad = onLoad;
  }

  /** The first read, at setup. A missing file is not an error (setup has warned about it). */
  loadSync(): void {
    let r: { bytes: Buffer; stats: Stats };
    try {
      r = readUserBytesWithStatsSync(this.path, 'hosts');
    } catch (e) {
      // Missing or a directory: setup has warned. Anything else (a FIFO, too big) is said here.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') { this.failing = true; this.log.warning(`Failed to read hosts file ${(e as Error).message}`); }
      return;
    }
    if (r.bytes.includes(0)) { this.failing = true; this.log.warning(`Failed to read hosts file ${this.path}: is not a text file (it contains NUL bytes)`); return; }
    this.apply(r.bytes.toString('utf8'), r.stats);
  }

  /** One periodic check: stat, and re-read when changed. Never throws. */
  protected async doCheck(): Promise<void> {
    let st: Stats;
    try {
      st = await stat(this.path);
      if (st.isDirectory()) throw new Error('is a directory');
      if (st.mtimeMs === this.mtimeMs && st.size === this.size) {
        this.recovered();
        return;
      }
      const r = await readUserFile(this.path, 'hosts');
      this.apply(r.text, r.stats);
      this.recovered();
    } catch (err) {
      // Logged once per reason: a file that goes missing and then comes back as a FIFO is said
      // twice (the second reason is the one the operator must fix), not once per check.
      const why = err instanceof UserFileError ? err.message : `${this.path}: ${err instanceof Error ? err.message : String(err)}`;
      if (!this.failing || why !== this.failingWhy) {
        this.failing = true;
        this.failingWhy = why;
        this.log.warning(`Failed to read hosts file ${why}; keeping the last ${this.index.entries()} entries`);
      }
    }
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.failingWhy = '';
    this.log.info(`Hosts file ${this.path} is readable again`);
  }

  private apply(text: string, st: Stats): void {
    const table = parseHostsTable(text, this.opts);
    this.mtimeMs = st.mtimeMs;
    this.size = st.size;
    this.onLoad({ table, mtimeMs: st.mtimeMs });
    this.log.debug(`Parsed hosts file into ${this.index.entries()} entries`);
  }
}
