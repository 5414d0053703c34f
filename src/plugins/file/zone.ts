/**
 * One zone's data, as CoreDNS's file plugin keeps it: the apex SOA and NS apart from the rest,
 * every other record under its lower-case owner name and type, and the empty non-terminals (names
 * that exist only because a longer name does, RFC 8020) so a lookup can tell NODATA from NXDOMAIN
 * and find the closest encloser of a wildcard (RFC 4592) without walking the tree.
 *
 * A Zone is built once by the parser and never changed: a reload builds a new one and swaps it in.
 */
import type { NameData, ResourceRecord, SOAData } from '../../dns/types.ts';

export type Node = Map<number, ResourceRecord[]>;

/** The name one label up: "a.b.c." → "b.c."; "." for a single label. Escaped dots are not separators. */
export function parentName(n: string): string {
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c === 92) { i++; continue; }
    if (c === 46) return i + 1 >= n.length ? '.' : n.slice(i + 1);
  }
  return '.';
}

/** Whether `child` is `parent` or below it (both canonical lower-case). */
export function under(child: string, parent: string): boolean {
  if (parent === '.') return true;
  if (child === parent) return true;
  if (!child.endsWith(parent) || child.length <= parent.length) return false;
  const b = child.length - parent.length - 1;
  if (child.charCodeAt(b) !== 46) return false;
  let bs = 0;
  for (let i = b - 1; i >= 0 && child.charCodeAt(i) === 92; i--) bs++;
  return (bs & 1) === 0;
}

export class Zone {
  readonly origin: string;
  readonly file: string;
  soa: ResourceRecord<SOAData> | undefined;
  readonly apexNs: ResourceRecord<NameData>[] = [];
  readonly nodes = new Map<string, Node>();
  readonly ents = new Set<string>();
  /** Records read (SOA and apex NS included). */
  size = 0;
  /** Where the SOA was read: it need not be at the origin (as in CoreDNS); the plugin warns then. */
  soaAt: { file: string; line: number } | undefined;

  constructor(origin: string, file: string) {
    this.origin = origin;
    this.file = file;
  }

  insert(rr: ResourceRecord, file: string, line: number): void {
    this.size++;
    if (rr.type === 6) { // the last SOA read is the zone's, wherever it is (CoreDNS's Insert)
      this.soa = rr as ResourceRecord<SOAData>;
      this.soaAt = { file, line };
      return;
    }
    if (rr.type === 2 && rr.name === this.origin) {
      this.apexNs.push(rr as ResourceRecord<NameData>);
      return;
    }
    let node = this.nodes.get(rr.name);
    if (!node) { node = new Map(); this.nodes.set(rr.name, node); }
    const list = node.get(rr.type);
    if (list) list.push(rr); else node.set(rr.type, [rr]);
  }

  /** Record the empty non-terminals between the origin and every name below it. */
  finish(): void {
    for (const name of this.nodes.keys()) {
      if (name === this.origin || !under(name, this.origin)) continue;
      for (let p = parentName(name); p !== this.origin && !this.nodes.has(p); p = parentName(p)) {
        if (this.ents.has(p)) break;
        this.ents.add(p);
      }
    }
  }

  node(name: string): Node | undefined { return this.nodes.get(name); }

  /** A name that exists in the zone: it has records, is an empty non-terminal, or is the apex. */
  exists(name: string): boolean {
    return name === this.origin || this.nodes.has(name) || this.ents.has(name);
  }
}
