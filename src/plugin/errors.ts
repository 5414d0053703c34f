/**
 * How a plugin reports an error without throwing: it answers (usually SERVFAIL) and attaches the
 * error to the request, and the errors plugin logs it, as CoreDNS plugins return (rcode, err).
 * A thrown exception is a panic instead (SERVFAIL + coredns_panics_total).
 */
import type { Request } from './contract.ts';

const KEY = 'errors';

export function reportError(req: Request, err: Error): void {
  const list = req.meta.get(KEY) as Error[] | undefined;
  if (list) list.push(err); else req.meta.set(KEY, [err]);
}

export function reportedErrors(req: Request): readonly Error[] {
  return (req.meta.get(KEY) as Error[] | undefined) ?? [];
}
