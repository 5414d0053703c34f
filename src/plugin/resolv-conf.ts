/**
 * The search list of a resolv.conf file, read as miekg/dns's ClientConfigFromFile reads it (the
 * parser CoreDNS's autopath and kubernetes plugins use): lines starting with `#` or `;` are
 * comments, a `domain D` line sets the list to [D], a `search A B ...` line replaces it; the
 * last such line wins. Names come back lower-case and absolute ("bar.com.").
 */
import { readFileSync } from 'node:fs';
import { fqdn, lowerName } from '../dns/name.ts';

export function searchDomains(text: string): string[] {
  let search: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'domain') search = f.length > 1 ? [f[1]!] : [];
    else if (f[0] === 'search') search = f.slice(1);
  }
  return search.filter((s) => s !== '').map((s) => lowerName(fqdn(s)));
}

/** The search list of the file at `path`; throws the file system's error when it cannot be read. */
export function readSearchDomains(path: string): string[] {
  return searchDomains(readFileSync(path, 'utf8'));
}
