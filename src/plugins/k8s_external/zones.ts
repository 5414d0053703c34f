/** Reverse zones (in-addr.arpa, ip6.arpa and below): PTR territory, never where PTR targets live. */
export function isReverseZone(z: string): boolean {
  return z === 'in-addr.arpa.' || z === 'ip6.arpa.' || z.endsWith('.in-addr.arpa.') || z.endsWith('.ip6.arpa.');
}
