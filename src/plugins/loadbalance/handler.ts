/**
 * The loadbalance plugin sits before cache and the data plugins: it lets the rest of the chain
 * answer, then reorders the records of a successful answer (CoreDNS's LoadBalanceResponseWriter):
 * nothing is done for an rcode other than NOERROR or for AXFR/IXFR.
 *
 * The response it was handed is never modified (it may be a shared cache entry): a reordered copy
 * is returned. A response carrying pre-encoded `wire` bytes (a cache hit, a relayed upstream
 * answer) is re-read from those bytes, which hold its current TTLs, and the copy has no `wire`,
 * so the server encodes the new order. When no section has two records nothing can move, and the
 * response (with its wire bytes) goes out untouched.
 */
import { decode } from '../../dns/codec.ts';
import { derive } from '../../dns/message.ts';
import { Type, type Message, type ResourceRecord } from '../../dns/types.ts';
import type { Next, Plugin, Request, Result } from '../../plugin/contract.ts';

export type Reorder = (records: readonly ResourceRecord[]) => ResourceRecord[];

export interface Policy {
  /** Reorder the answer and additional sections (and the authority section when `authority`). */
  readonly section: Reorder;
  readonly authority: boolean;
  /** Question types the policy applies to; undefined: all. */
  readonly qtypes?: ReadonlySet<number>;
}

/** Whether any section of an encoded message has two records or more (OPT counted generously). */
function wireHasSeveral(wire: Buffer): boolean {
  if (wire.length < 12) return false;
  return wire.readUInt16BE(6) > 1 || wire.readUInt16BE(8) > 1 || wire.readUInt16BE(10) > 1;
}

export class LoadBalancePlugin implements Plugin {
  readonly name = 'loadbalance';
  private readonly policy: Policy;
  private readonly hooks: { start?(): void; close?(): void };

  constructor(policy: Policy, hooks: { start?(): void; close?(): void } = {}) {
    this.policy = policy;
    this.hooks = hooks;
  }

  serve(req: Request, next: Next): Result {
    const r = next(req);
    if (r instanceof Promise) return r.then((m) => this.reorder(req, m));
    return this.reorder(req, r);
  }

  reorder(req: Request, res: Message): Message {
    if (res.rcode !== 0) return res;
    const qtype = req.qtype;
    if (qtype === Type.AXFR || qtype === Type.IXFR) return res;
    if (this.policy.qtypes && !this.policy.qtypes.has(qtype)) return res;
    let src = res;
    if (res.wire) {
      if (!wireHasSeveral(res.wire)) return res;
      src = decode(res.wire);
      if (src.rcode !== 0) return res;
    } else if (res.answers.length < 2 && res.authority.length < 2 && res.additional.length < 2) {
      return res;
    }
    const { section, authority } = this.policy;
    // A reordered copy of the response (derive: no stale `wire`, and the chain keeps the plugin
    // that wrote the answer as its writer, the `plugin` label of response metrics).
    return derive(res, {
      answers: section(src.answers),
      authority: authority ? section(src.authority) : src.authority.slice(),
      additional: section(src.additional),
    }, src);
  }

  start(): void { this.hooks.start?.(); }

  close(): void { this.hooks.close?.(); }
}
