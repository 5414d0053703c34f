/**
 * The Corefile lexer, with the token rules of CoreDNS's Caddy (v1) lexer:
 * - tokens are separated by whitespace; a leading byte order mark is ignored;
 * - `#` starts a comment to the end of the line, even in the middle of a word (but not inside quotes);
 * - a token that starts with `"` runs to the next unescaped `"` and may span lines; inside it `\"` is a
 *   quote and any other backslash is kept as written; a `"` in the middle of a word is an ordinary character;
 * - there is no backslash-newline continuation and no backtick quoting (those are Caddy v2 only).
 * An unterminated quote is an error here (Caddy v1 silently took the rest of the file).
 *
 * Environment references are substituted per token right after lexing (as Caddy does per token), so a
 * value with spaces stays one token and a value of "{" is never a brace.
 */
import { CorefileError } from './types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Token {
  text: string;
  file: string;
  line: number;               // line where the token starts
  /** True when no earlier token of the same source ends on this line (the token starts a line). */
  newline: boolean;
  /** An unquoted `{` or `}`: the only tokens that open and close blocks. */
  brace: '{' | '}' | null;
  /** The imports (files and snippets) this token came through; used to detect import cycles. */
  chain: readonly string[];
}

const ENV_REF = /\{%([^{}%]+)%\}|\{\$([^{}]+)\}/g;

/**
 * Replace `{$VAR}` and `{%VAR%}` with the variable's value (unset → empty string, as CoreDNS).
 * `{$VAR:default}` uses the default when VAR is unset (a Caddy v2 form; CoreDNS would give "").
 */
export function substituteEnv(s: string, env: Env): string {
  if (!s.includes('{')) return s;
  return s.replace(ENV_REF, (_m: string, win: string | undefined, unix: string | undefined) => {
    if (win !== undefined) return env[win] ?? '';
    const ref = unix ?? '';
    const colon = ref.indexOf(':');
    if (colon > 0) {
      const value = env[ref.slice(0, colon)];
      return value ?? ref.slice(colon + 1);
    }
    return env[ref] ?? '';
  });
}

function isSpace(c: string): boolean {
  if (c <= ' ') return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\n';
  return c > '~' && /\s/.test(c);
}

/** Split one source text into tokens. `chain` is stamped on every token (see Token.chain). */
export function lex(src: string, file: string, env: Env, chain: readonly string[] = []): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lastEndLine = 0;
  while (i < n) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (isSpace(c)) { i++; continue; }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const startLine = line;
    let text: string;
    let quoted = false;
    if (c === '"') {
      quoted = true;
      i++;
      let buf = '';
      let closed = false;
      while (i < n) {
        const q = src[i];
        if (q === '\\' && i + 1 < n) {
          const nx = src[i + 1];
          if (nx === '\n') line++;
          buf += nx === '"' ? '"' : '\\' + nx;
          i += 2;
          continue;
        }
        if (q === '"') { closed = true; i++; break; }
        if (q === '\n') line++;
        buf += q;
        i++;
      }
      if (!closed) {
        throw new CorefileError(file, startLine, 'unterminated quoted string — add the closing \'"\'');
      }
      text = buf;
    } else {
      let j = i;
      while (j < n && src[j] !== '#' && !isSpace(src[j])) j++;
      text = src.slice(i, j);
      i = j;
    }
    tokens.push({
      text: substituteEnv(text, env),
      file,
      line: startLine,
      newline: startLine > lastEndLine,
      brace: !quoted && (text === '{' || text === '}') ? text : null,
      chain,
    });
    lastEndLine = line;
  }
  return tokens;
}
