/**
 * Zone arguments of a plugin's directive (`hosts FILE ZONES...`, `file DBFILE ZONES...`), read as
 * CoreDNS's plugin.Host(...).NormalizeExact does: shared by the plugins that take them, so each
 * accepts the same forms (transport prefix, port, a CIDR for reverse zones).
 */
import { parseCidr, reverseZones } from '../corefile/cidr.ts';

/** A zone argument as CoreDNS normalizes it: transport and port stripped, CIDRs as reverse zones. */
export function normalizeZoneArg(arg: string): string[] {
  let s = arg.replace(/^dns:\/\//i, '');
  const cidr = s.includes('/') ? parseCidr(s.replace(/:\d+$/, '')) : null;
  if (cidr) return reverseZones(cidr);
  if (!s.startsWith('[')) {
    const colon = s.lastIndexOf(':');
    if (colon >= 0 && s.indexOf(':') === colon && /^\d+$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  }
  s = s.toLowerCase();
  return [s.endsWith('.') ? s : `${s}.`];
}
