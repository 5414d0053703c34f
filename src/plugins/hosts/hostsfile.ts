/**
 * The /etc/hosts format and the in-memory index built from it.
 *
 * A line is `IP NAME [NAME...]`, `#` starts a comment; lines with fewer than two fields or an
 * address that is not an IP literal are ignored, as CoreDNS (and Go's net package) ignore them.
 * Names are lower-cased and made absolute; names outside the plugin's zones are dropped.
 * A name whose leftmost label is `*` is a wildcard: it answers for one more label below it when
 * that name has no entry of its own, and it never produces PTR records.
 */
import { parseIP } from './ip.ts';
import { inZones } from '../../dns/name.ts';

export interface HostsMap {
  readonly name4: Map<string, string[]>;   // owner name → IPv4 addresses, in file order
  readonly name6: Map<string, string[]>;   // owner name → IPv6 addresses
  readonly addr: Map<string, string[]>;    // canonical address → owner names (empty with no_reverse)
  readonly wildcards: number;              // how many wildcard owner names there are
}

export interface ParseOptions {
  readonly origins: readonly string[];      // lower-case absolute zones; "." means all names
  readonly autoReverse: boolean;
}

export function emptyHostsMap(): HostsMap {
  return { name4: new Map(), name6: new Map(), addr: new Map(), wildcards: 0 };
}

function push(m: Map<string, string[]>, key: string, value: string): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}

const FIELD_SEP = /[ \t\r\f\v]+/;

/**
 * Each entry of hosts-file text, in file order: `fn(address, family, name)` for every name of every
 * valid line, the address canonical, the name lower-case and absolute, names outside the zones
 * dropped. Never throws: bad lines are skipped.
 */
export function forEachHostsEntry(text: string, opts: ParseOptions, fn: (address: string, family: 4 | 6, name: string) => void): void {
  const allNames = opts.origins.includes('.');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line.length === 0) continue;
    const f = line.split(FIELD_SEP);
    if (f.length < 2) continue;
    const ip = parseIP(f[0]!);
    if (!ip) continue;
    for (let i = 1; i < f.length; i++) {
      let name = f[i]!.toLowerCase();
      if (!name.endsWith('.')) name += '.';
      if (!allNames && !inZones(name, opts.origins)) continue;
      fn(ip.address, ip.family, name);
    }
  }
}

/** Parse hosts-file text into a fresh map (the Corefile's inline entries). Never throws: bad lines are skipped. */
export function parseHosts(text: string, opts: ParseOptions): HostsMap {
  const name4 = new Map<string, string[]>();
  const name6 = new Map<string, string[]>();
  const addr = new Map<string, string[]>();
  let wildcards = 0;
  forEachHostsEntry(text, opts, (address, family, name) => {
    const wild = name.startsWith('*.');
    if (wild && !name4.has(name) && !name6.has(name)) wildcards++;
    push(family === 4 ? name4 : name6, name, address);
    if (opts.autoReverse && !wild) push(addr, address, name);
  });
  return { name4, name6, addr, wildcards };
}

/** CoreDNS's Map.Len: every address of every name plus every name of every address. */
export function entryCount(m: HostsMap): number {
  let n = 0;
  for (const v of m.name4.values()) n += v.length;
  for (const v of m.name6.values()) n += v.length;
  for (const v of m.addr.values()) n += v.length;
  return n;
}

/**
 * The read side of a set of hosts entries: a parsed map (mapEntries, the Corefile's inline
 * entries) or the encoded file shared by every thread (src/plugins/hosts/table.ts).
 */
export interface HostsEntries {
  readonly wildcards: number;
  has(name: string): boolean;
  v4(owner: string): readonly string[] | undefined;
  v6(owner: string): readonly string[] | undefined;
  names(address: string): readonly string[] | undefined;
  /** CoreDNS's Map.Len (entryCount). */
  count(): number;
}

/** A parsed map as HostsEntries. */
export function mapEntries(m: HostsMap): HostsEntries {
  return {
    wildcards: m.wildcards,
    has: (name) => m.name4.has(name) || m.name6.has(name),
    v4: (owner) => m.name4.get(owner),
    v6: (owner) => m.name6.get(owner),
    names: (address) => m.addr.get(address),
    count: () => entryCount(m),
  };
}

const EMPTY_ENTRIES = mapEntries(emptyHostsMap());

function concat<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): readonly T[] {
  if (!a) return b ?? EMPTY;
  if (!b) return a;
  return a.concat(b);
}
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The lookup side: the file's entries (replaced on reload) followed by the inline entries of the
 * Corefile, as CoreDNS appends them. Every lookup is a few hash probes, whatever the file's size.
 */
export class HostsIndex {
  file: HostsEntries;
  readonly inline: HostsEntries;
  constructor(inline: HostsMap, file: HostsEntries = EMPTY_ENTRIES) {
    this.inline = mapEntries(inline);
    this.file = file;
  }

  private has(name: string): boolean { return this.file.has(name) || this.inline.has(name); }

  /** The owner name whose entries answer for `name`: itself, its wildcard, or undefined. */
  owner(name: string): string | undefined {
    if (this.has(name)) return name;
    if (this.file.wildcards + this.inline.wildcards > 0) {
      const dot = name.indexOf('.');
      if (dot > 0 && dot < name.length - 1) {
        const w = `*${name.slice(dot)}`;
        if (this.has(w)) return w;
      }
    }
    return undefined;
  }

  v4(owner: string): readonly string[] { return concat(this.file.v4(owner), this.inline.v4(owner)); }
  v6(owner: string): readonly string[] { return concat(this.file.v6(owner), this.inline.v6(owner)); }
  names(address: string): readonly string[] { return concat(this.file.names(address), this.inline.names(address)); }

  entries(): number { return this.file.count() + this.inline.count(); }
}
