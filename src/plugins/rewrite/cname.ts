/**
 * `rewrite [continue|stop] cname [exact|prefix|suffix|substring|regex] FROM TO`: when the answer
 * holds a CNAME whose target matches, the target is rewritten and the new target is looked up
 * (same type as the query) through the rest of the chain; the answer becomes the CNAME records,
 * pointing at the new target, followed by the records of that lookup owned by the new target —
 * what CoreDNS's cnameTargetRule does with its upstream.
 */
import { fieldsOf } from '../../dns/message.ts';
import { Type, type Message, type NameData, type ResourceRecord } from '../../dns/types.ts';
import { compileGoRegexp, findStringSubmatch } from '../../plugin/goregexp.ts';
import type { ResponseRule } from './response.ts';
import { substitute } from './response.ts';
import { RuleError, type Mode, type Rule } from './rule.ts';

/** For a CNAME target, the target it becomes, or undefined when the rule does not apply. */
function targetRewriter(kind: string, from: string, to: string): (target: string) => string | undefined {
  switch (kind) {
    case 'exact': return (t) => (t === from ? to : undefined);
    case 'prefix': return (t) => (t.startsWith(from) ? to + t.slice(from.length) : undefined);
    case 'suffix': return (t) => (t.endsWith(from) ? t.slice(0, t.length - from.length) + to : undefined);
    case 'substring': return (t) => (t.includes(from) ? t.split(from).join(to) : undefined);
    case 'regex': {
      let re: RegExp;
      try { re = compileGoRegexp(from); } catch { throw new RuleError(`invalid regex pattern in a cname rule: ${from}`); }
      return (t) => {
        const g = findStringSubmatch(re, t);
        return g ? substitute(to, g) : undefined;
      };
    }
    default: throw new RuleError(`unknown cname rewrite type: ${kind}`);
  }
}

export function cnameRule(mode: Mode, args: readonly string[]): Rule {
  let kind: string;
  let from: string;
  let to: string;
  if (args.length === 3) {
    kind = args[0]!.toLowerCase();
    [from, to] = [args[1]!.toLowerCase(), args[2]!.toLowerCase()];
  } else if (args.length === 2) {
    kind = 'exact';
    [from, to] = [args[0]!.toLowerCase(), args[1]!.toLowerCase()];
  } else {
    throw new RuleError(`too few (${args.length}) arguments for a cname rule`);
  }
  const rewriteTarget = targetRewriter(kind, from, to);
  return {
    mode,
    rewrite(s) {
      const qtype = s.qtype;
      const rule: ResponseRule = {
        async resolve(res, ask) {
          for (const rr of res.answers.slice()) {
            if (rr.type !== Type.CNAME) continue;
            const target = rewriteTarget((rr.data as NameData).target);
            if (target === undefined) continue;
            let found: ResourceRecord[] = [];
            try {
              const up: Message = await ask(target, qtype);
              found = fieldsOf(up).answers.filter((a) => a.name === target);
            } catch { /* the lookup failed: keep the rewritten CNAME alone, as a lookup without answers would */ }
            const cnames = res.answers.filter((a) => a.type === Type.CNAME);
            for (const c of cnames) (c.data as NameData).target = target;
            res.answers = [...cnames, ...found];
          }
        },
      };
      return [rule];
    },
  };
}
