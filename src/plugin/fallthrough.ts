/**
 * `fallthrough [ZONES...]`, shared by every plugin that has it (CoreDNS's plugin/pkg/fall):
 * with no zones a plugin passes every name it cannot answer to the next plugin instead of
 * answering NXDOMAIN; with zones, only names inside those zones.
 */
import { fqdn, isSubdomain, lowerName } from '../dns/name.ts';

export class Fallthrough {
  readonly zones: readonly string[];   // empty: fall through for nothing; ['.']: everything
  constructor(zones: readonly string[]) { this.zones = zones; }
  /** True when a query for `qname` should go to the next plugin. */
  through(qname: string): boolean {
    for (const z of this.zones) if (isSubdomain(qname, z)) return true;
    return false;
  }
  get enabled(): boolean { return this.zones.length > 0; }
  static readonly none = new Fallthrough([]);
}

/** Parse the arguments of a `fallthrough` line: none → all zones; else each argument as a zone. */
export function parseFallthrough(args: readonly string[]): Fallthrough {
  if (args.length === 0) return new Fallthrough(['.']);
  return new Fallthrough(args.map((z) => lowerName(fqdn(z))));
}
