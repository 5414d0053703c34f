/**
 * The response side of rewrite (CoreDNS's ResponseReverter): the question goes back to what the
 * client asked, and the response rules that the matching request rules handed over are applied
 * to every record of the authority, answer and additional sections — owner names (`answer name`,
 * `answer auto`), the names inside CNAME/DNAME/NS/PTR/MX/SRV/SOA data (`answer value`), TTLs (`ttl`),
 * and the rcode (`rcode`).
 *
 * The response handed in is never changed (it may be a cache entry, or carry bytes the writer
 * owns): a copy is built, without `wire`, so the server encodes the rewritten fields.
 */
import { derive, fieldsOf } from '../../dns/message.ts';
import { Type, type Message, type MXData, type NameData, type ResourceRecord, type SOAData, type SRVData } from '../../dns/types.ts';
import { findStringSubmatch } from '../../plugin/goregexp.ts';

/** Rewrites one string (a name); returns it unchanged when the rule does not apply. */
export type StringRewriter = (src: string) => string;

/** Asks the rest of the chain a new question (the cname rule's follow-up lookup). */
export type Ask = (name: string, qtype: number) => Message | Promise<Message>;

/** Something done to a response: per record, once to the whole message, or a follow-up lookup. */
export interface ResponseRule {
  record?(rr: ResourceRecord): void;
  message?(res: Message): void;
  resolve?(res: Message, ask: Ask): void | Promise<void>;
}

/** CoreDNS's `{N}` substitution: each `{i}` of `replacement` becomes group i, in group order. */
export function substitute(replacement: string, groups: readonly string[]): string {
  let s = replacement;
  for (let i = 0; i < groups.length; i++) s = s.split(`{${i}}`).join(groups[i]!);
  return s;
}

/** A regex rewriter: a match anywhere rewrites the whole string to the substituted replacement. */
export function regexRewriter(pattern: RegExp, replacement: string): StringRewriter {
  return (src) => {
    const groups = findStringSubmatch(pattern, src);
    return groups ? substitute(replacement, groups) : src;
  };
}

/** Maps `orig` to `replacement`, and any name below `orig` to the same name below `replacement`. */
export function remapRewriter(orig: string, replacement: string): StringRewriter {
  return (src) => {
    if (src === orig) return replacement;
    if (src.endsWith(`.${orig}`)) return src.slice(0, src.length - orig.length) + replacement;
    return src;
  };
}

/** Replaces a suffix. */
export function suffixRewriter(suffix: string, replacement: string): StringRewriter {
  return (src) => (src.endsWith(suffix) ? src.slice(0, src.length - suffix.length) + replacement : src);
}

export function nameResponse(rw: StringRewriter): ResponseRule {
  return { record(rr) { rr.name = rw(rr.name); } };
}

export function valueResponse(rw: StringRewriter): ResponseRule {
  return {
    record(rr) {
      const v = recordValue(rr);
      if (v === undefined) return;
      const next = rw(v);
      if (next !== v) setRecordValue(rr, next);
    },
  };
}

/** TTLs below `min` are raised to it, above `max` lowered to it (`ttl ... 30`, `30-60`, `30-`, `-60`). */
export function ttlResponse(min: number, max: number): ResponseRule {
  return {
    record(rr) {
      if (rr.ttl < min) rr.ttl = min;
      else if (rr.ttl > max) rr.ttl = max;
    },
  };
}

export function rcodeResponse(from: number, to: number): ResponseRule {
  return { message(res) { if (res.rcode === from) res.rcode = to; } };
}

/** The name inside a record's data that `answer value` rewrites (CoreDNS's list), or undefined. */
function recordValue(rr: ResourceRecord): string | undefined {
  switch (rr.type) {
    case Type.SRV: return (rr.data as SRVData).target;
    case Type.MX: return (rr.data as MXData).exchange;
    case Type.CNAME: case Type.NS: case Type.PTR: case 39 /* DNAME */: return (rr.data as NameData).target;
    case Type.SOA: return (rr.data as SOAData).mname;
    default: return undefined;
  }
}

function setRecordValue(rr: ResourceRecord, v: string): void {
  switch (rr.type) {
    case Type.SRV: (rr.data as SRVData).target = v; break;
    case Type.MX: (rr.data as MXData).exchange = v; break;
    case Type.CNAME: case Type.NS: case Type.PTR: case 39: (rr.data as NameData).target = v; break;
    case Type.SOA: (rr.data as SOAData).mname = v; break;
  }
}

function copyRecord(rr: ResourceRecord): ResourceRecord {
  return { name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, data: { ...rr.data } as ResourceRecord['data'] };
}

export interface Reversal {
  readonly question: Message['questions'][number];   // as the client asked it
  readonly rules: readonly ResponseRule[];
  /** The client sent no OPT record and a rule added one: the answer must not carry one either. */
  readonly dropEdns: boolean;
}

/** A copy of `res` with the question restored and every response rule applied. */
export function revert(res: Message, how: Reversal, ask: Ask): Message | Promise<Message> {
  const src = fieldsOf(res);
  const rules = how.rules;
  // derive: a copy without the stale `wire`, still written by the plugin that wrote `res`.
  const out = derive(res, {
    questions: [{ ...how.question }],
    answers: rules.length > 0 ? src.answers.map(copyRecord) : src.answers.slice(),
    authority: rules.length > 0 ? src.authority.map(copyRecord) : src.authority.slice(),
    additional: rules.length > 0 ? src.additional.map(copyRecord) : src.additional.slice(),
  }, src);
  if (how.dropEdns) out.edns = undefined;
  if (rules.length === 0) return out;
  // Undoing goes in reverse: the rule applied last to the query is undone first (as CoreDNS does).
  const last = rules.length - 1;
  for (const section of [out.authority, out.answers, out.additional]) {
    for (const rr of section) {
      for (let i = last; i >= 0; i--) rules[i]!.record?.(rr);
    }
  }
  for (let i = last; i >= 0; i--) rules[i]!.message?.(out);
  return followUps(out, rules, ask, last);
}

/** Run the rules that ask the chain again, one after the other, from rules[i] down to rules[0]. */
function followUps(out: Message, rules: readonly ResponseRule[], ask: Ask, i: number): Message | Promise<Message> {
  for (; i >= 0; i--) {
    const r = rules[i]!.resolve?.(out, ask);
    if (r instanceof Promise) return r.then(() => followUps(out, rules, ask, i - 1));
  }
  return out;
}
