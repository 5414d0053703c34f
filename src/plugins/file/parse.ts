/**
 * Reading an RFC 1035 zone file into a Zone, with the directives and defaults of miekg/dns's
 * ZoneParser (what CoreDNS's file plugin uses):
 *
 * - `$ORIGIN name` (relative to the current origin), `$TTL ttl`, `$INCLUDE file [origin]` (a path
 *   relative to the including file's directory, at most 7 deep, only regular files), `@`;
 * - an owner left blank is the previous owner; TTL and class may come in either order and both
 *   may be omitted (class IN; TTL from `$TTL`, else the last TTL written, as RFC 1035 says);
 * - TTLs with units (`30M`, `4H`, `1w2d`); `$GENERATE` for runs of similar records.
 *
 * Why not an npm parser: the candidates (dns-zonefile 0.3, zone-file 1.0) read line by line with
 * regular expressions — parentheses only around SOA, no `$INCLUDE`, no escapes, no TTL units, no
 * line numbers, unknown types silently dropped — so a zone file CoreDNS serves would be served
 * differently, and a broken one could not be reported as FILE:LINE.
 *
 * Every error is a ZoneFileError naming the file (the included one, inside an `$INCLUDE`) and line.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { classByName, typeByName } from '../../dns/mnemonics.ts';
import type { ResourceRecord, SOAData } from '../../dns/types.ts';
import { tokenize, ZoneFileError, type Entry, type Token } from './lexer.ts';
import { lower, zoneName } from './names.ts';
import { parseRdata, RdataError, ttlValue } from './rdata.ts';
import { Zone } from './zone.ts';

const MAX_INCLUDE_DEPTH = 7; // miekg/dns's maxIncludeDepth

/** Reads a file named by `$INCLUDE` (a regular file, size-capped); throws with a one-line reason. */
export type IncludeReader = (path: string) => string;

export interface ParseOptions {
  readonly origin: string;          // lower-case absolute
  readonly file: string;            // path, for errors and relative $INCLUDEs
  readonly readInclude: IncludeReader;
  /** Stop with SameSerial when the first SOA has this serial (the reload check). */
  readonly unlessSerial?: number;
}

/** Thrown by parseZone when the first SOA carries the serial the zone already has. */
export class SameSerial extends Error {}

interface TtlState { ttl: number; byDirective: boolean }

interface State {
  origin: string;
  defaultTtl: TtlState | undefined;
  owner: string | undefined;
}

/** Parse `text` (the contents of opts.file) into a zone for opts.origin. */
export function parseZone(text: string, opts: ParseOptions): Zone {
  const zone = new Zone(opts.origin, opts.file);
  let sawSoa = false;
  const add = (rr: ResourceRecord, file: string, line: number) => {
    if (!sawSoa && rr.type === 6) {
      sawSoa = true;
      if (opts.unlessSerial !== undefined && (rr.data as SOAData).serial === opts.unlessSerial) throw new SameSerial();
    }
    zone.insert(rr, file, line);
  };
  readFile(text, opts.file, { origin: opts.origin, defaultTtl: undefined, owner: undefined }, 0, opts, add);
  if (!zone.soa) throw new ZoneFileError(opts.file, 1, `no SOA record for origin ${opts.origin} — a zone file needs one`);
  zone.finish();
  return zone;
}

type Add = (rr: ResourceRecord, file: string, line: number) => void;

function readFile(text: string, file: string, st: State, depth: number, opts: ParseOptions, add: Add): void {
  for (const e of tokenize(text, file)) {
    const first = e.tokens[0]!;
    if (!e.blankStart && !first.quoted && first.text.startsWith('$')) directive(e, file, st, depth, opts, add);
    else record(e, file, st, add);
  }
}

function directive(e: Entry, file: string, st: State, depth: number, opts: ParseOptions, add: Add): void {
  const [d, arg, extra, ...more] = e.tokens;
  const name = d!.text.toUpperCase();
  const fail = (t: Token, msg: string): never => { throw new ZoneFileError(file, t.line, msg); };
  switch (name) {
    case '$ORIGIN': {
      if (!arg) fail(d!, '$ORIGIN needs a domain name');
      if (extra) fail(extra, `unexpected ${JSON.stringify(extra.text)} after $ORIGIN`);
      const o = zoneName(arg!.text, st.origin);
      if (o === undefined || arg!.quoted) fail(arg!, `bad $ORIGIN ${JSON.stringify(arg!.text)}: not a domain name`);
      st.origin = lower(o!);
      return;
    }
    case '$TTL': {
      if (!arg) fail(d!, '$TTL needs a TTL, e.g. "$TTL 3600" or "$TTL 1h"');
      if (extra) fail(extra, `unexpected ${JSON.stringify(extra.text)} after $TTL`);
      const ttl = arg!.quoted ? undefined : ttlValue(arg!.text);
      if (ttl === undefined) fail(arg!, `bad $TTL ${JSON.stringify(arg!.text)}: need seconds or a duration like 1h`);
      st.defaultTtl = { ttl: ttl!, byDirective: true };
      return;
    }
    case '$INCLUDE': {
      if (!arg) fail(d!, '$INCLUDE needs a file name');
      if (more.length > 0) fail(more[0]!, `unexpected ${JSON.stringify(more[0]!.text)} after $INCLUDE FILE ORIGIN`);
      let origin = st.origin;
      if (extra) {
        const o = zoneName(extra.text, st.origin);
        if (o === undefined || extra.quoted) fail(extra, `bad origin ${JSON.stringify(extra.text)} in $INCLUDE: not a domain name`);
        origin = lower(o!);
      }
      if (depth + 1 > MAX_INCLUDE_DEPTH) fail(d!, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`);
      const path = isAbsolute(arg!.text) ? arg!.text : join(dirname(file), arg!.text);
      let text: string;
      try {
        text = opts.readInclude(path);
      } catch (err) {
        fail(arg!, `$INCLUDE: ${(err as Error).message}`);
      }
      // The included file starts from this file's TTL state; what it sets stays inside it.
      readFile(text!, path, { origin, defaultTtl: st.defaultTtl, owner: undefined }, depth + 1, opts, add);
      return;
    }
    case '$GENERATE':
      generate(e, file, st, add);
      return;
    default:
      fail(d!, `unknown directive ${JSON.stringify(d!.text)} — a zone file has $ORIGIN, $TTL and $INCLUDE`);
  }
}

const MAX_GENERATE = 65536; // records one $GENERATE may make

/**
 * `$GENERATE START-STOP[/STEP] LHS [TTL] [CLASS] TYPE RHS` (BIND's, as miekg/dns reads it): the
 * record is repeated for each value, `$` replaced by the value and `${OFFSET,WIDTH,BASE}` by the
 * value plus OFFSET, zero-padded to WIDTH, in BASE d, o, x or X; `\$` is a literal `$`.
 */
function generate(e: Entry, file: string, st: State, add: Add): void {
  const [d, range, ...rest] = e.tokens;
  const fail = (t: Token, msg: string): never => { throw new ZoneFileError(file, t.line, msg); };
  const m = range ? /^(\d+)-(\d+)(?:\/(\d+))?$/.exec(range.text) : null;
  if (!range || !m) fail(range ?? d!, '$GENERATE needs a range START-STOP or START-STOP/STEP, e.g. $GENERATE 1-254 host-$ A 10.0.0.$');
  const [start, stop, step] = [Number(m![1]), Number(m![2]), m![3] === undefined ? 1 : Number(m![3])];
  if (start > stop || step < 1) fail(range!, `bad $GENERATE range ${JSON.stringify(range!.text)}: START must not exceed STOP, STEP must be at least 1`);
  if (Math.floor((stop - start) / step) + 1 > MAX_GENERATE) fail(range!, `$GENERATE range ${range!.text} makes more than ${MAX_GENERATE} records`);
  if (rest.length < 3) fail(d!, '$GENERATE needs a range, an owner, a type and its data');
  for (let i = start; i <= stop; i += step) {
    const tokens = rest.map((t) => ({ ...t, text: expand(t.text, i, () => fail(t, `bad $GENERATE modifier in ${JSON.stringify(t.text)}: write \${OFFSET,WIDTH,BASE} with BASE d, o, x or X`)) }));
    record({ tokens, blankStart: false, line: e.line }, file, st, add);
  }
}

function expand(text: string, i: number, bad: () => never): string {
  let out = '';
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c === '\\' && text[k + 1] === '$') { out += '$'; k++; continue; }
    if (c !== '$') { out += c; continue; }
    if (text[k + 1] !== '{') { out += String(i); continue; }
    const end = text.indexOf('}', k);
    if (end < 0) bad();
    const mod = /^(-?\d+)(?:,(\d+)(?:,([doxX]))?)?$/.exec(text.slice(k + 2, end));
    if (!mod) bad();
    const v = i + Number(mod![1]);
    if (v < 0) bad();
    const base = mod![3] ?? 'd';
    let s = v.toString(base === 'o' ? 8 : base === 'd' ? 10 : 16);
    if (base === 'X') s = s.toUpperCase();
    out += s.padStart(Number(mod![2] ?? 0), '0');
    k = end;
  }
  return out;
}

function isClass(t: Token): number | undefined {
  if (t.quoted) return undefined;
  const up = t.text.toUpperCase();
  const c = classByName(up);
  if (c !== undefined) return c;
  return /^CLASS\d+$/.test(up) && Number(up.slice(5)) <= 0xffff ? Number(up.slice(5)) : undefined;
}

function isType(t: Token): number | undefined {
  if (t.quoted) return undefined;
  const up = t.text.toUpperCase();
  const n = typeByName(up);
  if (n !== undefined) return n;
  return /^TYPE\d+$/.test(up) && Number(up.slice(4)) <= 0xffff ? Number(up.slice(4)) : undefined;
}

function record(e: Entry, file: string, st: State, add: Add): void {
  const toks = e.tokens;
  const fail = (t: Token, msg: string): never => { throw new ZoneFileError(file, t.line, msg); };
  let i = 0;
  let owner: string;
  if (e.blankStart) {
    if (st.owner === undefined) fail(toks[0]!, 'a record without an owner name, and no earlier record to take it from');
    owner = st.owner!;
  } else {
    const t = toks[i++]!;
    const n = t.quoted ? undefined : zoneName(t.text, st.origin);
    if (n === undefined) fail(t, `bad owner name ${JSON.stringify(t.text)}`);
    owner = lower(n!);
  }
  st.owner = owner;

  let ttl: number | undefined;
  let cls: number | undefined;
  let type: number | undefined;
  let typeTok: Token | undefined;
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    const asType = isType(t);
    const asClass = cls === undefined ? isClass(t) : undefined;
    // "ANY" and "NONE" name both a class and a type: after a class they can only be the type.
    if (asClass !== undefined && !(asType !== undefined && cls !== undefined)) { cls = asClass; continue; }
    if (asType !== undefined) { type = asType; typeTok = t; i++; break; }
    const asTtl = ttl === undefined && !t.quoted ? ttlValue(t.text) : undefined;
    if (asTtl !== undefined) { ttl = asTtl; continue; }
    fail(t, !t.quoted && /^[A-Za-z][A-Za-z0-9-]*$/.test(t.text)
      ? `unknown record type ${JSON.stringify(t.text)}`
      : `expecting a record type, TTL or class, not ${JSON.stringify(t.text)}`);
  }
  if (type === undefined || !typeTok) fail(toks[toks.length - 1]!, 'record has no type (A, AAAA, CNAME, ...)');

  if (ttl !== undefined) {
    if (!st.defaultTtl?.byDirective) st.defaultTtl = { ttl, byDirective: false };
  } else if (st.defaultTtl === undefined && !e.blankStart && cls === undefined) {
    fail(typeTok!, 'missing TTL with no previous value — add "$TTL 3600" at the top or a TTL on this record');
  }
  const rdataToks = toks.slice(i);
  let data;
  try {
    data = parseRdata(type!, rdataToks, st.origin, typeTok!);
  } catch (err) {
    if (err instanceof RdataError) fail(err.token ?? typeTok!, err.message);
    throw err;
  }
  add({ name: owner, type: type!, class: cls ?? 1, ttl: ttl ?? st.defaultTtl?.ttl ?? 0, data: data! }, file, typeTok!.line);
}
