/**
 * What every rewrite rule shares: the question being rewritten (QueryState), the rule contract,
 * the error a bad rule raises, and CoreDNS's name normalization.
 */
import type { Edns } from '../../dns/types.ts';
import { lowerName } from '../../dns/name.ts';
import type { Request } from '../../plugin/contract.ts';
import type { ResponseRule } from './response.ts';

/** A user error in a rule; the setup turns it into `FILE:LINE: rewrite: message`. */
export class RuleError extends Error {}

export type Mode = 'stop' | 'continue';

/** The question (and EDNS) as the rules have left it so far. */
export interface QueryState {
  readonly req: Request;              // the query as the client sent it
  name: string;                       // question name as written into the rewritten query
  qtype: number;
  qclass: number;
  edns: Edns | undefined;             // a private copy once an edns0 rule touched it
  ednsCreated: boolean;               // an edns0 rule added the OPT record the client did not send
}

export interface Rule {
  readonly mode: Mode;
  /** Apply to the query; undefined when the rule did not match, else the response rules it hands over. */
  rewrite(s: QueryState): ResponseRule[] | undefined;
}

/** CoreDNS's state.Name(): the current question name, lower-cased. */
export function currentName(s: QueryState): string { return lowerName(s.name); }

/** plugin.Name(s).Normalize(): lower-case and absolute. */
export function normalize(s: string): string {
  const l = s.toLowerCase();
  return l.endsWith('.') ? l : `${l}.`;
}

