/**
 * Where a hosts answer came from, for explained queries (GET /explain): the hosts file and line,
 * or the inline entry of the Corefile, that maps the owner name to the answered addresses (or, for
 * PTR, the address to the answered names). The index keeps no line numbers (a normal query never
 * needs them), so the file is read again here: this runs only for an explained query.
 */
import { readFileSync } from 'node:fs';
import type { Request } from '../../plugin/contract.ts';
import type { HostsConfig } from './setup.ts';

function splitEntry(raw: string): string[] {
  const hash = raw.indexOf('#');
  const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
  return line === '' ? [] : line.split(/[ \t]+/);
}

function absolute(n: string): string { const l = n.toLowerCase(); return l.endsWith('.') ? l : `${l}.`; }

/** Does this entry map `name` to one of `ips` (A/AAAA), or `ip` to one of `names` (PTR)? */
function matches(f: string[], names: ReadonlySet<string>, ips: ReadonlySet<string>): boolean {
  if (f.length < 2 || !ips.has(f[0]!)) return false;
  for (let i = 1; i < f.length; i++) if (names.has(absolute(f[i]!))) return true;
  return false;
}

/** Note the lines behind an answer: `names` the owner names (or PTR targets), `ips` the addresses. */
export function noteHostsSource(req: Request, cfg: HostsConfig, names: readonly string[], ips: readonly string[]): void {
  const nameSet = new Set(names.map(absolute));
  const ipSet = new Set(ips);
  const lines: { line: number; entry: string }[] = [];
  try {
    const text = readFileSync(cfg.path, 'utf8').split('\n');
    for (let i = 0; i < text.length; i++) if (matches(splitEntry(text[i]!), nameSet, ipSet)) lines.push({ line: i + 1, entry: text[i]!.trim() });
  } catch { /* the file is optional (CoreDNS's default /etc/hosts may be absent) */ }
  if (lines.length > 0) req.trace!.note('hosts', { file: cfg.path, lines });
  const inline = cfg.inline.filter((l) => matches(splitEntry(l), nameSet, ipSet));
  if (inline.length > 0) req.trace!.note('hosts', { source: 'inline entries of the Corefile', entries: inline });
}
