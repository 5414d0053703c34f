/**
 * Go regular expressions (RE2 syntax, as CoreDNS's Corefiles write them for `rewrite ... regex`
 * and `template ... match`) compiled to JavaScript RegExps.
 *
 * Why a translation and not the pattern as written: the two dialects share most syntax, but Go
 * writes named groups `(?P<name>...)`, has `\A` `\z` `\Q...\E` and POSIX classes `[[:alpha:]]`,
 * and a leading `(?i)` flag group, none of which JavaScript reads (or reads the same). Go also
 * refuses what RE2 cannot run in linear time — backreferences and lookaround — which JavaScript
 * would accept; those are refused here too, so a Corefile valid here is valid in CoreDNS.
 * What stays different is listed in the READMEs of rewrite and template: Unicode classes (`\pL`)
 * and the ungreedy flag `U` are refused, and matching runs on V8's backtracking engine.
 *
 * Matching semantics that do carry over: leftmost-first alternation, unanchored search (Go's
 * FindStringSubmatch = RegExp#exec), a group that took no part in the match is "".
 */

export class GoRegexpError extends Error {}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-/:-@[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** Escape every character that is special in a JavaScript pattern. */
function literal(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Translate Go pattern text into JavaScript pattern text and flags; throws GoRegexpError. */
export function translateGoRegexp(src: string): { source: string; flags: string } {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') throw new GoRegexpError('the ungreedy flag (?U) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const d = src[i + 1];
      if (d === undefined) throw new GoRegexpError('trailing backslash');
      if (d === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const text = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += literal(text);
        i = end < 0 ? src.length : end + 2;
        continue;
      }
      if (!inClass && d === 'A') { out += '(?<![\\s\\S])'; i += 2; continue; }
      if (!inClass && d === 'z') { out += '(?![\\s\\S])'; i += 2; continue; }
      if (d === 'p' || d === 'P') throw new GoRegexpError('Unicode classes (\\p, \\P) are not supported');
      if (d >= '1' && d <= '9') throw new GoRegexpError(`invalid escape sequence: \\${d} (backreferences are not RE2)`);
      if (d === 'k') throw new GoRegexpError('invalid escape sequence: \\k');
      out += c + d;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          let name = src.slice(i + 2, end);
          if (name.startsWith('^')) throw new GoRegexpError(`negated POSIX class [:${name}:] is not supported`);
          const set = POSIX[name];
          if (!set) throw new GoRegexpError(`invalid character class range: [:${name}:]`);
          out += set;
          i = end + 2;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      // a ']' right after '[' or '[^' is a literal in Go
      if (src[i] === '^') { out += '^'; i++; }
      if (src[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue; }
      if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith(':')) { out += '(?:'; i += 3; continue; }
      const m = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
      if (m && (m[1] || m[2])) {
        if ((m[1] + (m[2] ?? '')).includes('U')) throw new GoRegexpError('the ungreedy flag (?U) is not supported');
        if (m[3] === ')') throw new GoRegexpError(`flags (?${m[1]}${m[2] ? '-' + m[2] : ''}) are only supported at the start of the pattern`);
        out += `(?${m[1]}${m[2] ? '-' + m[2] : ''}:`;
        i += 2 + m[0].length;
        continue;
      }
      throw new GoRegexpError(`invalid or unsupported Perl syntax: (?${rest.slice(0, 2)}`);
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}

/** Compile a Go pattern; throws GoRegexpError (with Go's words where they apply) when it is not valid. */
export function compileGoRegexp(src: string): RegExp {
  const { source, flags } = translateGoRegexp(src);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new GoRegexpError((e as Error).message);
  }
}

/** How many capture groups a compiled pattern has (Go's NumSubexp). */
export function numSubexp(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
}

/** Go's FindStringSubmatch: the match and its groups ("" for a group that did not take part), or undefined. */
export function findStringSubmatch(re: RegExp, s: string): string[] | undefined {
  const m = re.exec(s);
  if (!m) return undefined;
  const out = new Array<string>(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i] ?? '';
  return out;
}
