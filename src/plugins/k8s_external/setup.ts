/**
 * Parsing the `k8s_external` directive, with CoreDNS's syntax (plugin/k8s_external/setup.go):
 *
 *   k8s_external [ZONE...] {
 *       apex APEX
 *       ttl TTL
 *       headless
 *       fallthrough [ZONE...]
 *   }
 *
 * ZONE defaults to the server block's zones; a CIDR stands for its reverse zones.
 */
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { parseCidr, reverseZones } from '../../corefile/cidr.ts';
import { Fallthrough, parseFallthrough } from '../../plugin/fallthrough.ts';

export interface ExternalOptions {
  zones: string[];          // lower-case absolute
  apex: string;             // the label under which the zone's own NS lives (default "dns")
  ttl: number;              // default 5
  headless: boolean;
  fallthrough: Fallthrough;
}

export const OPTIONS = ['apex', 'ttl', 'headless', 'fallthrough'] as const;

/** A zone argument as CoreDNS's plugin.Host(...).Normalize(): no scheme or port, absolute, CIDR → reverse zones. */
function zonesOf(d: Directive, arg: string): string[] {
  let s = arg.replace(/^dns:\/\//i, '');
  if (s.includes('/')) {
    const c = parseCidr(s);
    if (!c) throw CorefileError.at(d, `k8s_external: "${arg}" is not a valid zone or CIDR — write a zone such as example.org`);
    return reverseZones(c);
  }
  const colon = s.lastIndexOf(':');
  if (colon >= 0 && s.indexOf(':') === colon && /^\d+$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  s = s.toLowerCase();
  return [s.endsWith('.') ? s : `${s}.`];
}

export function parseExternal(d: Directive, blockZones: readonly string[]): ExternalOptions {
  const o: ExternalOptions = {
    zones: d.args.length > 0 ? d.args.flatMap((z) => zonesOf(d, z)) : [...blockZones],
    apex: 'dns', ttl: 5, headless: false, fallthrough: Fallthrough.none,
  };
  for (const opt of d.block ?? []) {
    switch (opt.name) {
      case 'ttl': {
        const t = opt.args[0];
        if (t === undefined) throw CorefileError.at(opt, 'k8s_external: wrong argument count — usage: ttl TTL (seconds, 0 to 3600)');
        if (!/^[+-]?\d+$/.test(t)) throw CorefileError.at(opt, `k8s_external: ttl "${t}" is not a whole number — give seconds from 0 to 3600`);
        const n = Number(t);
        if (n < 0 || n > 3600) throw CorefileError.at(opt, `k8s_external: ttl must be in range [0, 3600]: ${n}`);
        o.ttl = n;
        break;
      }
      case 'apex': {
        const a = opt.args[0];
        if (a === undefined) throw CorefileError.at(opt, 'k8s_external: wrong argument count — usage: apex APEX (a DNS label, default dns)');
        o.apex = a.replace(/\.$/, '');
        break;
      }
      case 'headless':
        o.headless = true;
        break;
      case 'fallthrough':
        o.fallthrough = parseFallthrough(opt.args);
        break;
      default:
        throw CorefileError.at(opt, `k8s_external: unknown property '${opt.name}' — expected one of: ${OPTIONS.join(', ')}`);
    }
  }
  return o;
}
