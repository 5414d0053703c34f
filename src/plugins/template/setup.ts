/**
 * Parsing `template CLASS TYPE [ZONE...] { match, answer, additional, authority, rcode, ederror,
 * fallthrough, upstream }` as CoreDNS's plugin/template setup.go does, into Template values.
 * Regexes (Go syntax) and Go templates are compiled here, so a broken one is a FILE:LINE error.
 */
import type { Directive } from '../../corefile/types.ts';
import { parseCidr, reverseZones } from '../../corefile/cidr.ts';
import { CorefileError } from '../../corefile/types.ts';
import { classByName, rcodeByName, typeByName } from '../../dns/mnemonics.ts';
import { fqdn, lowerName } from '../../dns/name.ts';
import { unknownOption } from '../../plugin/args.ts';
import { Fallthrough, parseFallthrough } from '../../plugin/fallthrough.ts';
import { compileGoRegexp } from '../../plugin/goregexp.ts';
import { GoTemplate } from './gotemplate/exec.ts';
import type { GoFunc } from './gotemplate/values.ts';
import { typeOf } from './gotemplate/values.ts';

export interface Template {
  readonly zones: string[];
  readonly qclass: number;
  readonly qtype: number;
  readonly regex: RegExp[];
  readonly regexSource: string[];
  readonly answer: GoTemplate[];
  readonly additional: GoTemplate[];
  readonly authority: GoTemplate[];
  readonly rcode: number;
  readonly ederror: { code: number; reason: string } | undefined;
  readonly fall: Fallthrough;
}

const USAGE = 'template CLASS TYPE [ZONE...] { match REGEX... | answer RR | additional RR | authority RR | rcode CODE | ederror CODE [REASON] | fallthrough [ZONE...] }';
const OPTIONS = ['match', 'answer', 'additional', 'authority', 'rcode', 'ederror', 'fallthrough', 'upstream'];

/** Go's strconv.ParseUint(s, base, bitSize), CoreDNS's `parseInt` template function. */
export function parseUint(...args: unknown[]): number {
  if (args.length !== 3) throw new Error(`wrong number of args for parseInt: want 3 got ${args.length}`);
  const [s, base, bits] = args;
  if (typeof s !== 'string') throw new Error(`wrong type for value; expected string; got ${typeOf(s)}`);
  if (typeof base !== 'number' || !Number.isInteger(base)) throw new Error(`wrong type for value; expected int; got ${typeOf(base)}`);
  if (typeof bits !== 'number' || !Number.isInteger(bits)) throw new Error(`wrong type for value; expected int; got ${typeOf(bits)}`);
  const err = (why: string) => new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: ${why}`);
  let b = base;
  let body = s;
  if (b === 0) {
    b = 10;
    // underscores only between digits, or between a base prefix and a digit (Go's underscoreOK)
    if (body.includes('_') && !/^(0[bBoOxX]_?)?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(body)) throw err('invalid syntax');
    body = body.replace(/_/g, '');
    if (/^0[xX]/.test(body)) { b = 16; body = body.slice(2); } else if (/^0[bB]/.test(body)) { b = 2; body = body.slice(2); } else if (/^0[oO]/.test(body)) { b = 8; body = body.slice(2); } else if (/^0./.test(body)) { b = 8; body = body.slice(1); }
  } else if (b < 2 || b > 36) {
    throw err(`invalid base ${b}`);
  }
  const size = bits === 0 ? 64 : bits;
  if (size < 0 || size > 64) throw err(`invalid bit size ${bits}`);
  if (body.length === 0) throw err('invalid syntax');
  let v = 0n;
  for (const ch of body.toLowerCase()) {
    const d = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 87 : 99;
    if (d >= b) throw err('invalid syntax');
    v = v * BigInt(b) + BigInt(d);
  }
  if (v >= 1n << BigInt(size)) throw err('value out of range');
  return Number(v);
}

export const TEMPLATE_FUNCS: Record<string, GoFunc> = { parseInt: parseUint };

/** plugin.Host(s).Normalize(): without scheme and port, lower-case, absolute; a CIDR becomes its reverse zones. */
function normalizeZone(s: string): string[] {
  const host = s.replace(/^[a-z0-9]+:\/\//i, '').replace(/:\d+$/, '');
  const cidr = host.includes('/') ? parseCidr(host) : null;
  return cidr ? reverseZones(cidr) : [lowerName(fqdn(host))];
}

export function parseTemplateDirective(d: Directive, blockZones: readonly string[]): Template {
  const err = (at: { file: string; line: number }, msg: string): never => { throw CorefileError.at(at, `template: ${msg}`); };
  if (d.args.length < 2) err(d, `wrong argument count — usage: ${USAGE}`);
  const qclass = classByName(d.args[0]!);
  if (qclass === undefined) err(d, `invalid query class ${d.args[0]}`);
  const qtype = typeByName(d.args[1]!);
  if (qtype === undefined) err(d, `invalid RR type ${d.args[1]}`);
  let zones = d.args.slice(2).flatMap((z) => z.replace(/^['"]+|['"]+$/g, '').split(/\s+/).filter(Boolean));
  zones = zones.length > 0 ? zones.flatMap(normalizeZone) : [...blockZones];
  const t = {
    zones, qclass: qclass!, qtype: qtype!, regex: [] as RegExp[], regexSource: [] as string[],
    answer: [] as GoTemplate[], additional: [] as GoTemplate[], authority: [] as GoTemplate[],
    rcode: 0, ederror: undefined as Template['ederror'], fall: Fallthrough.none,
  };
  for (const o of d.block ?? []) {
    const need = () => { if (o.args.length === 0) err(o, `${o.name} needs an argument — usage: ${USAGE}`); };
    switch (o.name) {
      case 'match':
        need();
        for (const r of o.args) {
          try { t.regex.push(compileGoRegexp(r)); } catch (e) { err(o, `could not parse regex: ${r}, ${(e as Error).message}`); }
          t.regexSource.push(r);
        }
        break;
      case 'answer': case 'additional': case 'authority':
        need();
        for (const text of o.args) {
          try {
            t[o.name].push(new GoTemplate(o.name, text, TEMPLATE_FUNCS));
          } catch (e) {
            err(o, `could not compile template: ${text}, ${(e as Error).message}`);
          }
        }
        break;
      case 'rcode': {
        if (o.args.length !== 1) err(o, `rcode needs one argument — usage: ${USAGE}`);
        const rc = rcodeByName(o.args[0]!);
        if (rc === undefined || o.args[0] !== o.args[0]!.toUpperCase()) err(o, `unknown rcode ${o.args[0]}`);
        t.rcode = rc!;
        break;
      }
      case 'ederror': {
        if (o.args.length < 1 || o.args.length > 2) err(o, `ederror needs a code and an optional reason — usage: ${USAGE}`);
        const code = /^\d+$/.test(o.args[0]!) ? Number(o.args[0]) : NaN;
        if (!(code >= 0 && code <= 30)) err(o, `invalid extended DNS error code ${o.args[0]}`);
        t.ederror = { code, reason: o.args[1] ?? '' };
        break;
      }
      case 'fallthrough': t.fall = parseFallthrough(o.args); break;
      case 'upstream': break; // accepted and ignored, as CoreDNS does since upstream became the default
      default: unknownOption(d, o, OPTIONS);
    }
  }
  if (t.regex.length === 0) { t.regex.push(/.*/); t.regexSource.push('.*'); }
  return t;
}
