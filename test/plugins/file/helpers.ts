// Test helpers for the file plugin: a plugin set up from a zone file written to a temp dir, its
// answers rendered as zone-file lines so CoreDNS's test tables can be compared as written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { typeString } from '../../../src/dns/mnemonics.ts';
import type { Message, ResourceRecord } from '../../../src/dns/types.ts';
import type { Next, Plugin } from '../../../src/plugin/contract.ts';
import { definition } from '../../../src/plugins/file/index.ts';
import { directive, recordingNext, request } from '../hosts/request.ts';
import { setupContext } from '../../support/setup-context.ts';

export const dir = mkdtempSync(join(tmpdir(), 'file-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Write `text` to a fresh file in the temp dir and return its path. */
export function zoneFile(text: string, name = `db.${++n}`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export async function filePlugin(text: string, zones: string[], block: Array<[string, ...string[]]> | null = null): Promise<Plugin> {
  const p = await definition.setup(directive('file', [zoneFile(text), ...zones], block), setupContext(zones.length ? zones : ['.']));
  return p;
}

export function rrText(rr: ResourceRecord): string {
  const d = rr.data as unknown as Record<string, unknown>;
  let data: string;
  if ('raw' in d) {
    const b = Buffer.from(d.raw as Uint8Array);
    if (rr.type === 257) data = `${b[0]} ${b.subarray(2, 2 + b[1]!).toString()} ${b.subarray(2 + b[1]!).toString()}`;
    else data = `\\# ${b.length} ${b.toString('hex')}`;
  } else {
    switch (rr.type) {
      case 1: case 28: data = d.address as string; break;
      case 2: case 5: case 12: case 39: data = d.target as string; break;
      case 15: data = `${d.preference} ${d.exchange}`; break;
      case 33: data = `${d.priority} ${d.weight} ${d.port} ${d.target}`; break;
      case 16: data = (d.texts as Uint8Array[]).map((t) => JSON.stringify(Buffer.from(t).toString())).join(' '); break;
      case 6: data = `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`; break;
      default: data = JSON.stringify(d);
    }
  }
  return `${rr.name} ${rr.ttl} IN ${typeString(rr.type)} ${data}`;
}

/** A response as sorted zone-file lines per section (CoreDNS's SortAndCheck compares sorted). */
export function sections(m: Message): { rcode: number; aa: boolean; answer: string[]; ns: string[]; extra: string[] } {
  return {
    rcode: m.rcode, aa: m.aa,
    answer: m.answers.map(rrText).sort(), ns: m.authority.map(rrText).sort(), extra: m.additional.map(rrText).sort(),
  };
}

/** Normalize CoreDNS test RR strings ("a.miek.nl.\t1800\tIN\tA\t1.2.3.4") to rrText's form. */
export function rr(s: string): string { return s.trim().split(/\s+/).join(' '); }

export async function ask(p: Plugin, name: string, type: number, next: Next = recordingNext()): Promise<Message> {
  return (await p.serve!(request(name, type), next)) as Message;
}

/** CoreDNS's test.ErrorHandler: whatever reaches the next plugin gets SERVFAIL. */
export const servfailNext: Next = (req) => ({ ...req.msg, qr: true, rcode: 2, answers: [], authority: [], additional: [] });

export interface Case { qname: string; qtype: number; rcode?: number; answer?: string[]; ns?: string[]; extra?: string[] }

export function expected(c: Case) {
  return { rcode: c.rcode ?? 0, answer: (c.answer ?? []).map(rr).sort(), ns: (c.ns ?? []).map(rr).sort(), extra: (c.extra ?? []).map(rr).sort() };
}
