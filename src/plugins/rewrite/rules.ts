/**
 * The request rules of rewrite, parsed from one `rewrite` directive as CoreDNS's newRule reads its
 * arguments: `[continue|stop] FIELD ...` with FIELD one of name, type, class, ttl, rcode, cname,
 * edns0 (see edns0.ts). A rule looks at the question as the rules before it left it, may change
 * it, and hands back the response rules that undo or adjust the answer (response.ts).
 *
 * Names are matched lower-cased and absolute (CoreDNS's state.Name()); FROM and TO of the
 * non-regex forms are normalized the same way (`foo` → `foo.`), so `prefix foo bar` matches the
 * label `foo.` and not `foobar.`. Regex replacements use `{1}`-style groups (see goregexp.ts).
 */
import { classByName, rcodeByName, typeByName } from '../../dns/mnemonics.ts';
import { compileGoRegexp, findStringSubmatch, GoRegexpError, numSubexp } from '../../plugin/goregexp.ts';
import {
  nameResponse, rcodeResponse, regexRewriter, remapRewriter, substitute, suffixRewriter, ttlResponse, valueResponse,
  type ResponseRule,
} from './response.ts';
import { cnameRule } from './cname.ts';
import { edns0Rule } from './edns0.ts';
import { currentName, normalize, RuleError, type Mode, type QueryState, type Rule } from './rule.ts';

export { RuleError } from './rule.ts';
export type { Rule, QueryState } from './rule.ts';

const MATCH_TYPES = ['exact', 'prefix', 'suffix', 'substring', 'regex'] as const;
type MatchType = (typeof MATCH_TYPES)[number];

/** Compile a Go regex and check the replacement uses no more `{N}` groups than it has (isValidRegexPattern). */
export function regexPattern(from: string, to: string): RegExp {
  let re: RegExp;
  try {
    re = compileGoRegexp(from);
  } catch (e) {
    if (e instanceof GoRegexpError) throw new RuleError(`invalid regex matching pattern: ${from}`);
    throw e;
  }
  let used = 0;
  for (let i = 0; i <= 100; i++) if (to.includes(`{${i}}`)) used++;
  if (used > numSubexp(re)) {
    throw new RuleError(`the rewrite regex pattern (${to}) uses more subexpressions than its corresponding matching regex pattern (${from})`);
  }
  return re;
}

/** A predicate on the current (lower-cased) name for ttl and rcode rules. */
function nameMatcher(kind: string, arg: string, field: string): (name: string) => boolean {
  switch (kind.toLowerCase()) {
    case 'exact': { const n = normalize(arg); return (name) => name === n; }
    case 'prefix': { const n = normalize(arg); return (name) => name.startsWith(n); }
    case 'suffix': { const n = normalize(arg); return (name) => name.endsWith(n); }
    case 'substring': { const n = normalize(arg); return (name) => name.includes(n); }
    case 'regex': {
      let re: RegExp;
      try { re = compileGoRegexp(arg); } catch { throw new RuleError(`invalid regex pattern in a ${field} rule: ${arg}`); }
      return (name) => re.test(name);
    }
    default: throw new RuleError(`${field} rule supports only exact, prefix, suffix, substring, and regex name matching`);
  }
}

/** Parse one rule from its arguments (the words after `rewrite`, a block's lines joined). */
export function parseRule(args: readonly string[]): Rule {
  if (args.length === 0) throw new RuleError('no rule type specified for rewrite');
  const arg0 = args[0]!.toLowerCase();
  let mode: Mode = 'stop';
  let start = 1;
  if (arg0 === 'continue' || arg0 === 'stop') {
    if (args.length < 2) throw new RuleError(`${arg0} rule must begin with a rule type`);
    mode = arg0;
    start = 2;
  }
  const field = args[start - 1]!.toLowerCase();
  const rest = args.slice(start);
  switch (field) {
    case 'answer': throw new RuleError('response rewrites must begin with a name rule');
    case 'name': return nameRule(mode, rest);
    case 'type': return typeRule(mode, rest);
    case 'class': return classRule(mode, rest);
    case 'ttl': return ttlRule(mode, rest);
    case 'rcode': return rcodeRule(mode, rest);
    case 'cname': return cnameRule(mode, rest);
    case 'edns0': return edns0Rule(mode, rest);
    default: throw new RuleError(`invalid rule type "${args[0]}"`);
  }
}

function typeRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length !== 2) throw new RuleError('type rules must have exactly two arguments');
  const from = typeByName(args[0]!.toUpperCase());
  if (from === undefined) throw new RuleError(`invalid type "${args[0]!.toUpperCase()}"`);
  const to = typeByName(args[1]!.toUpperCase());
  if (to === undefined) throw new RuleError(`invalid type "${args[1]!.toUpperCase()}"`);
  return {
    mode,
    rewrite(s) {
      if (from === 0 || to === 0 || s.qtype !== from) return undefined;
      s.qtype = to;
      return [];
    },
  };
}

function classRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length !== 2) throw new RuleError('class rules must have exactly two arguments');
  const from = classByName(args[0]!.toUpperCase());
  if (from === undefined) throw new RuleError(`invalid class "${args[0]!.toUpperCase()}"`);
  const to = classByName(args[1]!.toUpperCase());
  if (to === undefined) throw new RuleError(`invalid class "${args[1]!.toUpperCase()}"`);
  return {
    mode,
    rewrite(s) {
      if (s.qclass !== from) return undefined;
      s.qclass = to;
      return [];
    },
  };
}

/** A TTL or a range: "30", "30-60", "30-" (at least), "-60" (at most). */
function parseTtl(v: string): [number, number] | undefined {
  const u32 = (x: string) => (/^\d+$/.test(x) && Number(x) <= 0xffffffff ? Number(x) : undefined);
  const parts = v.split('-');
  if (parts.length === 1) { const n = u32(v); return n === undefined ? undefined : [n, n]; }
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  if (a === '' && b === '') return undefined;
  const min = a === '' ? 0 : u32(a);
  const max = b === '' ? 2147483647 : u32(b);
  if (min === undefined || max === undefined || min > max) return undefined;
  return [min, max];
}

function ttlRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 2) throw new RuleError(`too few (${args.length}) arguments for a ttl rule`);
  if (args.length > 3) throw new RuleError('too many arguments for a ttl rule');
  const ttlArg = args[args.length - 1]!;
  const range = parseTtl(ttlArg);
  if (!range) throw new RuleError(`invalid TTL '${ttlArg}' for a ttl rule`);
  const match = args.length === 3 ? nameMatcher(args[0]!, args[1]!, 'ttl') : nameMatcher('exact', args[0]!, 'ttl');
  const response = [ttlResponse(range[0], range[1])];
  return { mode, rewrite: (s) => (match(currentName(s)) ? response : undefined) };
}

function rcodeValue(v: string): number | undefined {
  if (/^\d+$/.test(v) && Number(v) <= 23) return Number(v);
  return rcodeByName(v.toUpperCase());
}

function rcodeRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 3) throw new RuleError(`too few (${args.length}) arguments for a rcode rule`);
  if (args.length > 4) throw new RuleError('too many arguments for a rcode rule');
  const [oldStr, newStr] = args.length === 3 ? [args[1]!, args[2]!] : [args[2]!, args[3]!];
  const from = rcodeValue(oldStr);
  if (from === undefined) throw new RuleError(`invalid matching RCODE '${oldStr}' for a rcode rule`);
  const to = rcodeValue(newStr);
  if (to === undefined) throw new RuleError(`invalid replacement RCODE '${newStr}' for a rcode rule`);
  const match = args.length === 4 ? nameMatcher(args[0]!, args[1]!, 'rcode') : nameMatcher('exact', args[0]!, 'rcode');
  const response = [rcodeResponse(from, to)];
  return { mode, rewrite: (s) => (match(currentName(s)) ? response : undefined) };
}

/** The `answer auto|name FROM TO|value FROM TO` options after a name rule (`answer` optional after the first). */
function answerRules(field: string, args: readonly string[]): { auto: boolean; rules: ResponseRule[] } {
  let auto = false;
  const rules: ResponseRule[] = [];
  let nameRules = 0;
  let last = '';
  if (args.length < 2) throw new RuleError(`invalid arguments for ${field} rule`);
  let i = 0;
  while (i < args.length) {
    if (last === '' && args[i] !== 'answer') {
      throw new RuleError(`exceeded the number of arguments for a non-answer rule argument for ${field} rule`);
    }
    if (args[i] === 'answer') i++;
    if (i >= args.length) throw new RuleError(`type missing for answer rule for ${field} rule`);
    last = args[i++]!;
    if (last === 'auto') { auto = true; continue; }
    if (last !== 'name' && last !== 'value') throw new RuleError(`invalid type "${last}" for answer rule for ${field} rule`);
    if (args.length - i < 2) throw new RuleError(`${last} answer rule for ${field} rule: 2 arguments required`);
    let re: RegExp;
    try {
      re = regexPattern(args[i]!, args[i + 1]!);
    } catch (e) {
      throw new RuleError(`${last} answer rule for ${field} rule: ${(e as Error).message}`);
    }
    const rw = regexRewriter(re, normalize(args[i + 1]!));
    if (last === 'name') { rules.push(nameResponse(rw)); nameRules++; } else rules.push(valueResponse(rw));
    i += 2;
  }
  if (auto && nameRules > 0) throw new RuleError('auto name answer rule cannot be combined with explicit name answer rules');
  return { auto, rules };
}

function nameRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 2) throw new RuleError('too few arguments for a name rule');
  let kind: string;
  let from: string;
  let to: string;
  if (args.length === 2) {
    kind = 'exact';
    from = normalize(args[0]!);
    to = normalize(args[1]!);
  } else {
    kind = args[0]!.toLowerCase();
    from = kind === 'regex' ? args[1]! : normalize(args[1]!);
    to = kind === 'regex' ? args[2]! : normalize(args[2]!);
  }
  let auto = false;
  let answers: ResponseRule[] = [];
  if (args.length > 3) ({ auto, rules: answers } = answerRules(kind, args.slice(3)));
  if (!(MATCH_TYPES as readonly string[]).includes(kind)) {
    throw new RuleError(`name rule supports only exact, prefix, suffix, substring, and regex name matching, received: ${kind}`);
  }
  return buildNameRule(mode, kind as MatchType, from, to, auto, answers);
}

/** The rule of one match type; `auto` (always on for exact) maps the new name back to the old in the answer. */
function buildNameRule(mode: Mode, kind: MatchType, from: string, to: string, auto: boolean, answers: ResponseRule[]): Rule {
  const respond = (before: string, after: string, dynamic: boolean): ResponseRule[] => {
    if (!dynamic) return answers;
    const rw = remapRewriter(after, before);
    return [nameResponse(rw), valueResponse(rw), ...answers];
  };
  const apply = (s: QueryState, rewrite: (name: string) => string | undefined, dynamic: boolean): ResponseRule[] | undefined => {
    const before = currentName(s);
    const after = rewrite(before);
    if (after === undefined) return undefined;
    s.name = after;
    return respond(before, after, dynamic);
  };
  switch (kind) {
    case 'exact':
      regexPattern(to, from); // CoreDNS compiles TO as a pattern here too, and refuses what does not compile
      return { mode, rewrite: (s) => apply(s, (n) => (n === from ? to : undefined), true) };
    case 'prefix':
      return { mode, rewrite: (s) => apply(s, (n) => (n.startsWith(from) ? to + n.slice(from.length) : undefined), auto) };
    case 'suffix': {
      // `answer auto` for a suffix rule is the reverse suffix rewrite, fixed at setup
      const fixed = auto ? [nameResponse(suffixRewriter(to, from)), valueResponse(suffixRewriter(to, from)), ...answers] : answers;
      return {
        mode,
        rewrite: (s) => {
          const n = currentName(s);
          if (!n.endsWith(from)) return undefined;
          s.name = n.slice(0, n.length - from.length) + to;
          return fixed;
        },
      };
    }
    case 'substring':
      return { mode, rewrite: (s) => apply(s, (n) => (n.includes(from) ? n.split(from).join(to) : undefined), auto) };
    case 'regex': {
      const re = regexPattern(from, to);
      const replacement = normalize(to);
      return {
        mode,
        rewrite: (s) => apply(s, (n) => {
          const groups = findStringSubmatch(re, n);
          return groups ? substitute(replacement, groups) : undefined;
        }, auto),
      };
    }
  }
}
