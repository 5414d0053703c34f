/**
 * Server-side search path completion, after CoreDNS's plugin/autopath/autopath.go and cname.go.
 *
 * A client with `ndots:5` (every Kubernetes pod) asks `name.NS.svc.cluster.local.` first, then
 * each further search domain, then `name.` — one round trip per step, most of them NXDOMAIN.
 * When a query lies in the FIRST element of the client's search path, autopath walks the rest of
 * the path through the plugins after it and answers the first reply that is not NXDOMAIN, with
 * a CNAME from the name asked to the name found prepended to the answer, so the client accepts
 * it. When every step is NXDOMAIN, the reply for the name as asked goes back unchanged (and the
 * client walks its own search path, as without autopath). An error from a later plugin (e.g.
 * forward's) stops the walk with SERVFAIL, as CoreDNS returns the error.
 */
import { replyTo } from '../../dns/message.ts';
import { fqdn, isSubdomain, lowerName } from '../../dns/name.ts';
import { Class, Rcode, Type } from '../../dns/types.ts';
import type { Message, ResourceRecord } from '../../dns/types.ts';
import type { Next, Request } from '../../plugin/contract.ts';
import { reportError, reportedErrors } from '../../plugin/errors.ts';
import { subRequest } from '../../plugin/subrequest.ts';

/** Gives the search path for a query, ending with '' (the bare name); undefined: no autopath. */
export type SearchPath = (req: Request) => readonly string[] | undefined;

/** The longest of `zones` that `qname` is in, or undefined. */
export function matchZone(zones: readonly string[], qname: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (isSubdomain(qname, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/** Labels of `name` left of `zone` (which `name` is strictly below), keeping the query's case. */
function trimZone(name: string, zone: string): string {
  const n = fqdn(name);
  return zone === '.' ? n.slice(0, -1) : n.slice(0, n.length - zone.length - 1);
}

/**
 * cnamer: put a CNAME from `original` to the owner of the first answer record not already named
 * `original` (with that record's TTL) in front of the answer, and the original name back in the
 * question. The reply is copied, never changed in place.
 */
export function withCname(m: Message, original: string): Message {
  const lower = lowerName(original);
  const first = m.answers.find((rr) => lowerName(rr.name) !== lower);
  if (!first && m.questions.every((q) => q.name === original)) return m;
  const out: Message = { ...m, questions: m.questions.map((q) => ({ ...q, name: original })) };
  delete out.wire;
  if (first) {
    const rec: ResourceRecord = { name: original, type: Type.CNAME, class: Class.IN, ttl: first.ttl, data: { target: first.name } };
    out.answers = [rec, ...m.answers];
  }
  return out;
}

export class Autopath {
  private readonly zones: readonly string[];
  private readonly searchPath: SearchPath;
  private readonly success: () => void;

  constructor(zones: readonly string[], searchPath: SearchPath, success: () => void) {
    this.zones = zones;
    this.searchPath = searchPath;
    this.success = success;
  }

  serve(req: Request, next: Next): Message | Promise<Message> {
    if (matchZone(this.zones, req.qname) === undefined) return next(req);
    const path = this.searchPath(req);
    if (!path || path.length === 0) return next(req);
    const first = path[0]!;
    // CoreDNS answers SERVFAIL for the search domain itself (its trim fails); clusterdns answers it normally.
    if (first === '' || req.qname === first || !isSubdomain(req.qname, first)) return next(req);
    return this.walk(req, next, trimZone(req.question.name, first), path);
  }

  private async walk(req: Request, next: Next, base: string, path: readonly string[]): Promise<Message> {
    const original = fqdn(req.question.name);
    // The first step is the name as asked: the very request, so its reply is the plain answer.
    const before = reportedErrors(req).length;
    const firstReply = await next(req);
    if (reportedErrors(req).length > before) return firstReply;
    if (firstReply.rcode !== Rcode.NXDOMAIN) return this.hit(firstReply, original);
    for (let i = 1; i < path.length; i++) {
      const s = path[i]!;
      const step = subRequest(req, s === '' || s === '.' ? `${base}.` : `${base}.${s}`);
      const reply = await next(step);
      const errs = reportedErrors(step);
      if (errs.length > 0) {
        for (const e of errs) reportError(req, e);
        return replyTo(req.msg, Rcode.SERVFAIL);
      }
      if (reply.rcode === Rcode.NXDOMAIN) continue;
      return this.hit(reply, original);
    }
    return firstReply;
  }

  private hit(m: Message, original: string): Message {
    this.success();
    return withCname(m, original);
  }
}
