/**
 * Re-reading a zone file every `reload` interval, with CoreDNS's rule: a zone is replaced only
 * when the file's first SOA carries a serial different from the one being served (higher or
 * lower: any change), or — with `reload_by_mtime` — whenever the file's modification time
 * changed. A file that cannot be read or parsed keeps the zone being served, and says why once
 * (again when the reason changes); the next good read is logged as CoreDNS logs it:
 * `[INFO] plugin/file: Successfully reloaded zone "example.org." in "db.example.org" with 2 SOA serial`.
 *
 * A file whose modification time, size and inode are unchanged is not parsed again: nothing in
 * it can have changed, and an `$INCLUDE`d file only counts when the SOA serial (in the main file)
 * says so.
 */
import type { Stats } from 'node:fs';
import type { Logger } from '../../plugin/contract.ts';
import { PeriodicCheck } from '../../plugin/periodic.ts';
import { ZoneFileError } from './lexer.ts';
import { parseZone, SameSerial } from './parse.ts';
import { readZoneFile, readZoneFileSync } from './read.ts';
import type { Zone } from './zone.ts';

/** What the plugin answers from for one origin; `zone` is undefined until a first good read. */
export interface ZoneSlot { readonly origin: string; zone: Zone | undefined }

export class ZoneReloader extends PeriodicCheck {
  private readonly path: string;
  private readonly slots: readonly ZoneSlot[];
  private readonly byMtime: boolean;
  private readonly log: Logger | undefined; // undefined on worker threads: the control side logs
  private seen: { mtimeMs: number; size: number; ino: number } | undefined;
  private readonly problems = new Set<string>(); // logged since the last good check

  constructor(path: string, slots: readonly ZoneSlot[], byMtime: boolean, log: Logger | undefined) {
    super();
    this.path = path;
    this.slots = slots;
    this.byMtime = byMtime;
    this.log = log;
  }

  /** Remember the file as read at setup, so the first check does not re-read an unchanged file. */
  loaded(st: Stats): void { this.seen = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino }; }

  private problem(msg: string): void {
    if (this.problems.has(msg)) return;
    this.problems.add(msg);
    this.log?.error(msg);
  }

  protected async doCheck(): Promise<void> {
    let text: string;
    let st: Stats;
    try {
      ({ text, stats: st } = await readZoneFile(this.path));
    } catch (err) {
      for (const s of this.slots) this.problem(`Failed to open zone "${s.origin}" in "${this.path}": ${(err as Error).message}`);
      return;
    }
    for (const p of this.problems) if (p.startsWith('Failed to open')) this.problems.delete(p);
    const mtimeChanged = this.seen === undefined || st.mtimeMs !== this.seen.mtimeMs;
    if (!mtimeChanged && this.seen!.size === st.size && this.seen!.ino === st.ino) return;
    this.seen = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
    let failed = false;
    for (const slot of this.slots) {
      const serial = slot.zone?.soa?.data.serial;
      const unlessSerial = this.byMtime && mtimeChanged ? undefined : serial;
      try {
        const zone = parseZone(text, { origin: slot.origin, file: this.path, readInclude: (p) => readZoneFileSync(p).text, unlessSerial });
        slot.zone = zone;
        this.log?.info(`Successfully reloaded zone "${slot.origin}" in "${this.path}" with ${zone.soa!.data.serial} SOA serial`);
      } catch (err) {
        if (err instanceof SameSerial) continue;
        failed = true;
        const why = err instanceof ZoneFileError ? err.message : (err as Error).message;
        this.problem(`Parsing zone "${slot.origin}": ${why}`);
      }
    }
    if (!failed) this.problems.clear();
  }
}
