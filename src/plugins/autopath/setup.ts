/**
 * Parsing the `autopath` directive, with CoreDNS's syntax (plugin/autopath/setup.go):
 *
 *   autopath [ZONE...] RESOLV-CONF
 *
 * RESOLV-CONF is a resolv.conf-style file whose search list is used for every client, or
 * `@PLUGIN`, a plugin of the same server block that gives each client's search path (in
 * practice `@kubernetes`). ZONE defaults to the server block's zones; a CIDR stands for its
 * reverse zones.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { parseCidr, reverseZones } from '../../corefile/cidr.ts';
import { readSearchDomains } from '../../plugin/resolv-conf.ts';

export interface AutopathOptions {
  zones: string[];               // lower-case absolute
  /** `@NAME`: the plugin that gives the search path per query. */
  plugin?: string;
  /** From a file: the search list plus '' (the bare name), lower-case absolute. */
  search?: string[];
}

/** A zone argument as CoreDNS's plugin.Host(...).Normalize(): no scheme or port, absolute, CIDR → reverse zones. */
function zonesOf(d: Directive, arg: string): string[] {
  let s = arg.replace(/^dns:\/\//i, '');
  if (s.includes('/')) {
    const c = parseCidr(s);
    if (!c) throw CorefileError.at(d, `autopath: "${arg}" is not a valid zone or CIDR — write a zone such as cluster.local or a network such as 10.0.0.0/24`);
    return reverseZones(c);
  }
  const colon = s.lastIndexOf(':');
  if (colon >= 0 && s.indexOf(':') === colon && /^\d+$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  s = s.toLowerCase();
  return [s.endsWith('.') ? s : `${s}.`];
}

/** A relative file name: from the working directory as CoreDNS, else beside the Corefile. */
function filePath(p: string, corefile: string): string {
  if (isAbsolute(p)) return p;
  const cwd = resolve(p);
  if (existsSync(cwd) || corefile === '-' || corefile === '') return cwd;
  const beside = resolve(dirname(corefile), p);
  return existsSync(beside) ? beside : cwd;
}

export function parseAutopath(d: Directive, blockZones: readonly string[], corefile = ''): AutopathOptions {
  if (d.block && d.block.length > 0) {
    throw CorefileError.at(d.block[0]!, `autopath: unexpected block line '${d.block[0]!.name}' — usage: autopath [ZONE...] RESOLV-CONF`);
  }
  if (d.args.length < 1) {
    throw CorefileError.at(d, 'autopath: no resolv-conf specified — usage: autopath [ZONE...] RESOLV-CONF, e.g. autopath @kubernetes');
  }
  const resolv = d.args[d.args.length - 1]!;
  const zoneArgs = d.args.slice(0, -1);
  const o: AutopathOptions = { zones: zoneArgs.length > 0 ? zoneArgs.flatMap((z) => zonesOf(d, z)) : [...blockZones] };
  if (resolv.startsWith('@')) {
    if (resolv.length === 1) throw CorefileError.at(d, 'autopath: "@" names no plugin — write @kubernetes');
    o.plugin = resolv.slice(1);
  } else {
    try {
      o.search = [...readSearchDomains(filePath(resolv, corefile)), ''];
    } catch (e) {
      throw CorefileError.at(d, `autopath: failed to parse "${resolv}": ${(e as Error).message} — give a resolv.conf-style file with a search line, or @kubernetes`);
    }
  }
  return o;
}
