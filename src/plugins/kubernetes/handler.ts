/**
 * The query path of the kubernetes plugin, after CoreDNS's plugin/kubernetes/handler.go:
 * pick the zone, answer by query type, and decide NXDOMAIN / NODATA / SERVFAIL exactly as CoreDNS:
 * a name error answers NXDOMAIN with the SOA (or falls through, or SERVFAIL while the API has
 * not synced); a known name without records of the type answers NOERROR with the SOA.
 *
 * A and AAAA lookups (nearly every query a pod sends: each search-path expansion is one, and most
 * are name errors) are memoized per name as asked, on the ClusterView they were computed from:
 * the memo is dropped as soon as the view is replaced (a new cluster image) or changes (the live
 * index's version), so an answer is always the one the current view gives. The memo holds
 * records, never messages: each query gets its own message and section arrays, and records are
 * not changed after they are made (plugins that change a response derive a copy). The SOA of a
 * negative answer is memoized the same way, per zone as asked. Bounded (BoundedMemo): at most
 * two generations of ANSWER_MEMO_ENTRIES names and MEMO_ADDRESSES records per query type.
 */
import { fqdn, lowerName, ptrToIp } from '../../dns/name.ts';
import { replyTo } from '../../dns/message.ts';
import { encode } from '../../dns/codec.ts';
import { Rcode, Type } from '../../dns/types.ts';
import type { Message, ResourceRecord } from '../../dns/types.ts';
import type { Next, Request, Result } from '../../plugin/contract.ts';
import type { Backend, NameError } from './backend.ts';
import type { ClusterView } from './cluster-view.ts';
import { BoundedMemo, MEMO_ADDRESSES, MEMO_ENTRIES } from './image-view.ts';
import {
  addresses, canonical, nameservers, pointer, service, startOfAuthority, text,
  type Answer, type Item, type Outside,
} from './answers.ts';
import { noteKubernetesSource } from './provenance.ts';

export interface HandlerState { synced(): boolean }

const answerWeight = (a: Answer) => 1 + a.records.length + a.extra.length;
/** Name errors hold no records: the memo keeps one shared answer per kind. */
const NAME_ERRORS: { [K in NameError]: Answer } = {
  noitems: { records: [], extra: [], err: 'noitems' },
  notexposed: { records: [], extra: [], err: 'notexposed' },
  invalid: { records: [], extra: [], err: 'invalid' },
};
/**
 * Names per generation: twice ImageView's memos, because a pod's search path makes several names
 * of each Service (and of each outside name) it asks for; a working set that fits one generation
 * stays there instead of being moved between generations on every hit.
 */
const ANSWER_MEMO_ENTRIES = 2 * MEMO_ENTRIES;
const newMemo = () => new BoundedMemo<Answer>(ANSWER_MEMO_ENTRIES, MEMO_ADDRESSES, answerWeight);

export class KubernetesHandler {
  private readonly b: Backend;
  private readonly state: HandlerState;
  /** The view and version the memos below were computed on. */
  private memoView: ClusterView | undefined;
  private memoVersion = -1;
  private memoA = newMemo();
  private memoAAAA = newMemo();
  private soas = new Map<string, ResourceRecord>();

  constructor(b: Backend, state: HandlerState) {
    this.b = b;
    this.state = state;
  }

  /** Drop the memos when the view they were computed on is replaced or has changed. */
  private current(): void {
    const view = this.b.index;
    if (view === this.memoView && view.version === this.memoVersion) return;
    this.memoView = view;
    this.memoVersion = view.version;
    if (this.memoA.size > 0) this.memoA = newMemo();
    if (this.memoAAAA.size > 0) this.memoAAAA = newMemo();
    if (this.soas.size > 0) this.soas = new Map();
  }

  /** addresses(), memoized per name as asked (see the module comment). */
  private addresses(qtype: number, owner: string, qname: string, zone: string, lzone: string): Answer {
    // ns.dns.ZONE is made of this server's addresses, not of the cluster: never memoized
    if (qname.startsWith('ns.dns.') && qname.length === lzone.length + 7) return addresses(this.b, qtype, owner, qname, zone);
    this.current();
    const memo = qtype === Type.A ? this.memoA : this.memoAAAA;
    let ans = memo.get(owner);
    if (ans === undefined) {
      ans = addresses(this.b, qtype, owner, qname, zone);
      if (ans.err && ans.records.length === 0) ans = NAME_ERRORS[ans.err];
      memo.set(owner, ans);
    }
    return ans;
  }

  private startOfAuthority(zone: string): ResourceRecord {
    this.current();
    let soa = this.soas.get(zone);
    if (soa === undefined) {
      soa = startOfAuthority(this.b, zone);
      if (this.soas.size < 64) this.soas.set(zone, soa);
    }
    return soa;
  }

  /** Answer a query that is in one of our zones (the caller checked), or delegate. */
  answer(req: Request, next: Next, lzone: string): Result {
    const qname = req.qname;
    const owner = fqdn(req.question.name);
    // the zone in the query's case (the zone itself, not a copy, when asked in lower case)
    const zone = owner.endsWith(lzone) ? lzone : owner.slice(owner.length - lzone.length) || lzone;
    const b = this.b;
    let ans: Answer;
    switch (req.qtype) {
      case Type.A:
      case Type.AAAA: ans = this.addresses(req.qtype, owner, qname, zone, lzone); break;
      case Type.TXT: ans = text(b, owner, qname, zone); break;
      case Type.CNAME: ans = canonical(b, owner, qname, zone); break;
      case Type.PTR: ans = pointer(b, owner, qname, zone, ptrToIp(qname)); break;
      case Type.MX: ans = { records: [], extra: [], err: b.services(qname, Type.MX, zone).err }; break;
      case Type.SRV: ans = service(b, owner, qname, zone); break;
      case Type.SOA:
        ans = { records: qname === lzone ? [startOfAuthority(b, zone)] : [], extra: [], err: null };
        break;
      case Type.AXFR:
      case Type.IXFR:
        return replyTo(req.msg, Rcode.REFUSED);
      case Type.NS:
        // NS below the apex is answered like any other type: NODATA or NXDOMAIN
        ans = qname === lzone ? nameservers(b, owner, zone) : existence(b, owner, qname, zone);
        break;
      default:
        ans = existence(b, owner, qname, zone);
    }
    if (req.trace) noteKubernetesSource(req, b, qname, lzone);
    if (ans.err) {
      if (b.o.fallthrough.through(qname)) return next(req);
      return this.negative(req, zone, this.state.synced() ? Rcode.NXDOMAIN : Rcode.SERVFAIL);
    }
    for (const r of ans.records) {
      if ((r as Outside).outside) return this.resolveOutside(req, next, zone, ans);
    }
    return this.positive(req, zone, ans.records as ResourceRecord[], ans.extra, false);
  }

  private negative(req: Request, zone: string, rcode: number): Message {
    const m = replyTo(req.msg, rcode);
    m.aa = true;
    m.authority.push(this.startOfAuthority(zone));
    return m;
  }

  private positive(req: Request, zone: string, records: ResourceRecord[], extra: ResourceRecord[], tc: boolean): Message {
    if (records.length === 0) return this.negative(req, zone, Rcode.NOERROR);
    const m = replyTo(req.msg, Rcode.NOERROR);
    m.aa = true;
    m.tc = tc;
    m.answers = records.slice();     // the arrays may be memoized: the message gets its own
    m.additional = extra.slice();
    return m;
  }

  /** Follow CNAMEs that leave our zones through the rest of the chain, then answer. */
  private async resolveOutside(req: Request, next: Next, zone: string, ans: Answer): Promise<Message> {
    const records: ResourceRecord[] = [];
    let tc = false;
    for (const r of ans.records as Item[]) {
      if (!(r as Outside).outside) { records.push(r as ResourceRecord); continue; }
      const o = r as Outside;
      let m: Message;
      try {
        m = await next(subRequest(req, o.target, o.qtype));
      } catch {
        continue;
      }
      if (m.tc) tc = true;
      records.push(o.cname, ...m.answers);
    }
    return this.positive(req, zone, records, ans.extra, tc);
  }
}

/** Types the plugin has no records of: a fake A lookup tells NODATA from NXDOMAIN (as CoreDNS). */
function existence(b: Backend, owner: string, qname: string, zone: string): Answer {
  return { records: [], extra: [], err: addresses(b, Type.A, owner, qname, zone).err };
}

/** The same request, asking for `name`/`qtype` instead (the way CoreDNS's upstream asks itself). */
export function subRequest(req: Request, name: string, qtype: number): Request {
  const question = { name, type: qtype, class: req.qclass };
  const msg: Message = { ...req.msg, questions: [question], answers: [], authority: [], additional: [] };
  return {
    ...req, msg, question, qname: lowerName(name), qtype, wire: encode(msg), meta: new Map(),
  };
}
