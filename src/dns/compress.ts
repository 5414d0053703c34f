/**
 * Writing names with compression (RFC 1035 4.1.4), case-insensitive, names written as given.
 *
 * Small messages (the common case) need no hashing: the names already written are kept as a
 * short list of lower-cased texts, and a new name is matched against each by comparing from the
 * end, on label boundaries. For a name without escapes, text offset i is wire offset start+i
 * ("ab.cd." ↔ 2ab2cd0), so a text match gives the pointer directly. Past LIST_MAX names the
 * list is poured into a Map keyed by suffix text, which scales to headless answers with
 * thousands of records. Names with escapes or non-ASCII text go through their wire labels and
 * always use the Map (with a canonical escaped key, so equal keys always mean equal bytes).
 * Only offsets below 0x4000 can be pointed at.
 */
import { EncodeError } from './errors.ts';
import { lowerName, nameToLabels } from './name.ts';

const PTR_LIMIT = 0x4000;
const LIST_MAX = 24;

// names written literally (fast-path names only), most recent last
const entKey: string[] = [];
const entStart = new Int32Array(LIST_MAX + 1);
const entLimit = new Int32Array(LIST_MAX + 1); // text index where a pointer replaced the rest
let nent = 0;
let useMap = false;

/** Lower-cased suffix text → offset of its first occurrence. */
const table = new Map<string, number>();

/** Exact given names → offset: the cheapest check, for owners repeated verbatim. */
const RECENT = 8;
const recentName: string[] = new Array<string>(RECENT).fill('');
const recentOff = new Int32Array(RECENT);
let nrecent = 0;

/** Forget everything: call at the start of each message. */
export function resetNames(): void {
  nent = 0;
  nrecent = 0;
  if (useMap || table.size > 0) table.clear();
  useMap = false;
}

function remember(name: string, off: number): void {
  const k = nrecent++ % RECENT;
  recentName[k] = name;
  recentOff[k] = off;
}

function pointer(out: Buffer, pos: number, p: number): number {
  out[pos] = 0xc0 | (p >>> 8);
  out[pos + 1] = p & 0xff;
  return pos + 2;
}

function isRoot(name: string): boolean {
  return name.length === 0 || (name.length === 1 && name.charCodeAt(0) === 46);
}

/**
 * Write `name` at out[pos] (256 bytes of room needed) and return the new position. With
 * `compress`, reuse an earlier suffix; either way the name becomes a target for later ones.
 */
export function writeName(out: Buffer, pos: number, name: string, compress: boolean): number {
  if (isRoot(name)) { out[pos] = 0; return pos + 1; }
  if (compress) {
    const m = nrecent < RECENT ? nrecent : RECENT;
    for (let k = 0; k < m; k++) if (recentName[k] === name) return pointer(out, pos, recentOff[k]!);
  }
  const given = name;
  let n = name.length;
  // one pass: plain ASCII without escapes? a trailing separator?
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 92 || c > 127) return writeNameSlow(out, pos, name, compress);
  }
  if (name.charCodeAt(n - 1) !== 46) { name += '.'; n++; }
  if (n > 254) throw new EncodeError(`invalid name ${JSON.stringify(given)}: longer than 255 octets`);
  const key = lowerName(name);
  const start = pos;

  // the longest earlier suffix: iK is where it starts in this name, off where it is on the wire
  let iK = n - 1, off = -1;
  if (compress && !useMap) {
    for (let e = nent - 1; e >= 0 && iK > 0; e--) {
      const ek = entKey[e]!;
      let a = n - 2, b = ek.length - 2; // both end in '.', which is the root: skip it
      let matched = -1;                  // text index in key of the best label-aligned match
      while (a >= 0 && b >= 0 && key.charCodeAt(a) === ek.charCodeAt(b)) {
        if (key.charCodeAt(a) === 46) matched = a + 1;
        a--; b--;
      }
      if (a < 0 && (b < 0 || ek.charCodeAt(b) === 46)) matched = 0;
      else if (b < 0 && key.charCodeAt(a) === 46) matched = a + 1;
      if (matched < 0 || matched >= iK) continue;
      const iE = ek.length - (n - matched);
      if (iE >= entLimit[e]!) continue; // that part of e is itself a pointer: an older entry has it
      const w = entStart[e]! + iE;
      if (w >= PTR_LIMIT) continue;
      iK = matched; off = w;
    }
  } else if (compress) {
    for (let i = 0; i < n - 1; i = key.indexOf('.', i) + 1) {
      const p = table.get(i === 0 ? key : key.slice(i));
      if (p !== undefined) { iK = i; off = p; break; }
    }
  }

  // literal labels up to iK
  let i = 0;
  while (i < iK) {
    const lenPos = pos++;
    let j = i;
    for (; j < n; j++) {
      const c = name.charCodeAt(j);
      if (c === 46) break;
      out[pos++] = c;
    }
    const l = j - i;
    if (l === 0 || l > 63) throw new EncodeError(`invalid name ${JSON.stringify(given)}: label of ${l} octets`);
    out[lenPos] = l;
    i = j + 1;
  }
  if (off >= 0) pos = pointer(out, pos, off);
  else out[pos++] = 0;

  if (iK === 0) {
    if (compress) remember(given, off);
    return pos;
  }
  if (start >= PTR_LIMIT) return pos;
  remember(given, start);
  if (useMap) {
    for (let k = 0; k < iK; k = key.indexOf('.', k) + 1) {
      const s = k === 0 ? key : key.slice(k);
      if (!table.has(s)) table.set(s, start + k);
    }
  } else {
    entKey[nent] = key; entStart[nent] = start; entLimit[nent] = off >= 0 ? iK : n - 1;
    if (++nent > LIST_MAX) pourIntoMap();
  }
  return pos;
}

/** Too many names for a list scan: move every literal suffix into the Map. */
function pourIntoMap(): void {
  for (let e = 0; e < nent; e++) {
    const key = entKey[e]!, start = entStart[e]!, limit = entLimit[e]!;
    for (let k = 0; k < limit; k = key.indexOf('.', k) + 1) {
      if (start + k >= PTR_LIMIT) break;
      const s = k === 0 ? key : key.slice(k);
      if (!table.has(s)) table.set(s, start + k);
    }
  }
  nent = 0;
  useMap = true;
}

const SPECIAL = '. \'@;()"\\';

/** Canonical key of the labels from index k on: lower-cased, miekg-escaped text. */
function labelsKey(ls: Uint8Array[], k: number): string {
  let s = '';
  for (let i = k; i < ls.length; i++) {
    for (const b0 of ls[i]!) {
      const b = b0 >= 65 && b0 <= 90 ? b0 + 32 : b0;
      if (b < 0x20 || b > 0x7e) s += '\\' + String(b).padStart(3, '0');
      else if (SPECIAL.includes(String.fromCharCode(b))) s += '\\' + String.fromCharCode(b);
      else s += String.fromCharCode(b);
    }
    s += '.';
  }
  return s;
}

/** Names with escapes or non-ASCII characters: resolve to bytes first; compress via the Map. */
function writeNameSlow(out: Buffer, pos: number, name: string, compress: boolean): number {
  const ls = nameToLabels(name);
  if (ls === undefined) throw new EncodeError(`invalid name ${JSON.stringify(name)}`);
  const keys: string[] = [];
  const offs: number[] = [];
  let done = false;
  for (let k = 0; k < ls.length; k++) {
    const key = labelsKey(ls, k);
    const p = table.get(key);
    if (p !== undefined && compress) { pos = pointer(out, pos, p); done = true; break; }
    if (p === undefined && pos < PTR_LIMIT) { keys.push(key); offs.push(pos); }
    const l = ls[k]!;
    out[pos++] = l.length;
    out.set(l, pos);
    pos += l.length;
  }
  if (!done) out[pos++] = 0;
  for (let k = 0; k < keys.length; k++) table.set(keys[k]!, offs[k]!);
  return pos;
}
