/**
 * Names as a zone file writes them, turned into the one text form the rest of clusterdns uses
 * (the decoder's: lower-case for lookups, `\.`-style escapes for special characters, `\DDD` for
 * unprintable bytes). `a\046b` and `a\.b` are the same label, so both become `a\.b` — the form a
 * query for that name arrives in (CoreDNS's canonicalEscape does the same).
 */
import { isFqdn, nameToLabels } from '../../dns/name.ts';

const ESC = new Uint8Array(256);
for (let b = 0; b < 256; b++) ESC[b] = b < 0x20 || b > 0x7e ? 2 : 0;
for (const ch of '. \'@;()"\\') ESC[ch.charCodeAt(0)] = 1;

/** Wire labels → text name with escapes, as the decoder writes names. */
export function labelsToText(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return '.';
  let s = '';
  for (const l of labels) {
    for (const b of l) {
      const e = ESC[b]!;
      if (e === 0) s += String.fromCharCode(b);
      else if (e === 1) s += '\\' + String.fromCharCode(b);
      else s += '\\' + String(b).padStart(3, '0');
    }
    s += '.';
  }
  return s;
}

/**
 * A name from the zone file made absolute against `origin` (`@` is the origin), in canonical
 * text form; undefined when it is not a valid name.
 */
export function zoneName(text: string, origin: string): string | undefined {
  let abs: string;
  if (text === '@') abs = origin;
  else if (isFqdn(text)) abs = text;
  else abs = origin === '.' ? `${text}.` : `${text}.${origin}`;
  const labels = nameToLabels(abs);
  return labels === undefined ? undefined : labelsToText(labels);
}

/** ASCII lower-case of a canonical name (escapes are digits or punctuation, never letters). */
export function lower(name: string): string { return name.toLowerCase(); }

/** Uncompressed wire form of a valid name. */
export function nameWire(name: string): Buffer {
  const labels = nameToLabels(name)!;
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Read an uncompressed wire name at `off` (RFC 3597 RDATA): [name, next offset], or undefined. */
export function readWireName(b: Uint8Array, off: number): [string, number] | undefined {
  const labels: Uint8Array[] = [];
  let p = off;
  for (;;) {
    if (p >= b.length) return undefined;
    const len = b[p]!;
    if (len === 0) { p++; break; }
    if (len > 63 || p + 1 + len > b.length) return undefined;
    labels.push(b.subarray(p + 1, p + 1 + len));
    p += 1 + len;
  }
  return [labelsToText(labels), p];
}
