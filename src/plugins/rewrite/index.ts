/**
 * rewrite: changes the query before the rest of the chain sees it — its name, type, class or
 * EDNS0 options — and restores the answer to the question the client asked, optionally rewriting
 * names, values, TTLs and the rcode of the answer (CoreDNS's plugin/rewrite).
 *
 * Every `rewrite` line of a server block is one rule, and the rules of a block run as one list,
 * in the order written: a matching `stop` rule (the default) ends the list, `continue` goes on.
 * The first `rewrite` plugin of a block holds the list and the later ones add their rule to it
 * (the server makes one plugin per directive; CoreDNS makes one per block).
 *
 * The rewritten query is a new Request (Request fields are read-only) with its own encoded
 * `wire`, so forward sends the new question and cache (which runs before rewrite) keys on the
 * question as asked. The answer the chain returns is copied, never changed (response.ts).
 */
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { encode } from '../../dns/codec.ts';
import { replyTo } from '../../dns/message.ts';
import { isValidName, lowerName } from '../../dns/name.ts';
import { Rcode, type Message } from '../../dns/types.ts';
import type { Logger, Next, Plugin, PluginDefinition, Request, Result } from '../../plugin/contract.ts';
import { reportError } from '../../plugin/errors.ts';
import { perBlock } from '../../plugin/per-block.ts';
import { typeString } from '../../dns/mnemonics.ts';
import { revert, type Ask, type ResponseRule } from './response.ts';
import { parseRule, RuleError, type QueryState, type Rule } from './rules.ts';

export class RewritePlugin implements Plugin {
  readonly name = 'rewrite';
  readonly rules: Rule[];
  private readonly log: Logger;

  constructor(rules: Rule[], log: Logger) {
    this.rules = rules;
    this.log = log;
  }

  serve(req: Request, next: Next): Result {
    const s: QueryState = {
      req, name: req.question.name, qtype: req.qtype, qclass: req.qclass, edns: undefined, ednsCreated: false,
    };
    let done = false;
    const responseRules: ResponseRule[] = [];
    for (const rule of this.rules) {
      const handed = rule.rewrite(s);
      if (!handed) continue;
      done = true;
      if (!isValidName(s.name)) {
        this.log.error(`Invalid name after rewrite: ${s.name}`);
        reportError(req, new Error(`invalid name after rewrite: ${s.name}`));
        return replyTo(req.msg, Rcode.SERVFAIL);
      }
      responseRules.push(...handed);
      if (req.trace) req.trace.note('rewrite', { rule: ruleSource.get(rule) ?? '', query: `${s.name} ${typeString(s.qtype)}` });
      if (rule.mode === 'stop') break;
    }
    if (!done) return next(req);
    const sub = rewritten(req, s);
    const ask: Ask = (name, qtype) => next(askFor(sub, name, qtype));
    const how = { question: req.question, rules: responseRules, dropEdns: s.ednsCreated };
    const res = next(sub);
    if (res instanceof Promise) return res.then((m) => revert(m, how, ask));
    return revert(res, how, ask);
  }
}

/** The query as the rules left it: a new Request, its message and wire bytes re-made. */
function rewritten(req: Request, s: QueryState): Request {
  const question = { name: s.name, type: s.qtype, class: s.qclass };
  const msg: Message = { ...req.msg, questions: [question], edns: s.edns ?? req.msg.edns };
  return {
    ...req, msg, question, qname: lowerName(s.name), qtype: s.qtype, qclass: s.qclass, wire: encode(msg),
  };
}

/** A follow-up question (the cname rule's lookup) on the rewritten query's behalf. */
function askFor(sub: Request, name: string, qtype: number): Request {
  const question = { name, type: qtype, class: sub.qclass };
  const msg: Message = { ...sub.msg, questions: [question] };
  return { ...sub, msg, question, qname: lowerName(name), qtype, wire: encode(msg), meta: new Map() };
}

const USAGE = 'rewrite [continue|stop] FIELD [TYPE] [FROM TO|TTL] [OPTIONS]';

/** The words of one rule: the directive's arguments, and a block's lines joined after them (CoreDNS reads a block as more words). */
function ruleArgs(d: Directive): string[] {
  const args = [...d.args];
  if (!d.block) return args;
  if (args.length >= 2) throw CorefileError.at(d, `rewrite: a block may only follow 'rewrite', 'rewrite stop' or 'rewrite continue' — usage: ${USAGE}`);
  for (const line of d.block) {
    if (line.block) throw CorefileError.at(line, `rewrite: unexpected block after '${line.name}'`);
    args.push(line.name, ...line.args);
  }
  return args;
}

/** Each rule's Corefile line and text, for explained queries (GET /explain). */
const ruleSource = new WeakMap<Rule, string>();

export const definition: PluginDefinition = {
  name: 'rewrite',
  setup(d, ctx) {
    let rule: Rule;
    try {
      rule = parseRule(ruleArgs(d));
    } catch (e) {
      if (e instanceof RuleError) throw CorefileError.at(d, `rewrite: ${e.message}`);
      throw e;
    }
    ruleSource.set(rule, `${d.file}:${d.line}: rewrite ${ruleArgs(d).join(' ')}`);
    const { plugin, first } = perBlock(ctx, 'rewrite', () => new RewritePlugin([], ctx.log));
    plugin.rules.push(rule);
    return first ? plugin : { name: 'rewrite' }; // no serve: the block's first rewrite runs every rule
  },
};
