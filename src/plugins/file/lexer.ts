/**
 * RFC 1035 master-file tokens (section 5.1), read as miekg/dns's zone lexer reads them, with the
 * line of every token so that errors can say FILE:LINE:
 *
 * - one entry per line; `(` ... `)` continue an entry over several lines;
 * - `;` starts a comment to the end of the line (outside quotes);
 * - `"..."` is one token, spaces and `;` included; a quote also ends a word (`a"b"` is two tokens);
 * - `\X` and `\DDD` escapes are kept as written (the record readers decode them), so an escaped
 *   space, quote, parenthesis or `;` stays inside its word;
 * - a line that starts with a blank omits its owner name (the previous one is used).
 */

export interface Token {
  readonly text: string;     // as written, escapes kept; without the quotes of a quoted string
  readonly quoted: boolean;
  readonly line: number;
}

export interface Entry {
  readonly tokens: Token[];
  readonly blankStart: boolean; // the entry's line began with a space or tab: owner omitted
  readonly line: number;        // line of the first token
}

/** A zone file error at a line of a file; rendered as `FILE:LINE: message`. */
export class ZoneFileError extends Error {
  readonly file: string;
  readonly line: number;
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

export function tokenize(text: string, file: string): Entry[] {
  const entries: Entry[] = [];
  let tokens: Token[] = [];
  let blankStart = false;
  let atLineStart = true;   // at the first character of a line that is not inside parentheses
  let depth = 0;
  let parenLine = 0;
  let line = 1;
  let word = '';
  let wordLine = 0;

  const endWord = () => {
    if (word !== '') tokens.push({ text: word, quoted: false, line: wordLine });
    word = '';
  };
  const endEntry = () => {
    endWord();
    if (tokens.length > 0) entries.push({ tokens, blankStart, line: tokens[0]!.line });
    tokens = [];
    blankStart = false;
  };

  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (atLineStart) {
      atLineStart = false;
      if (c === ' ' || c === '\t') blankStart = true;
    }
    switch (c) {
      case ' ': case '\t': case '\r':
        endWord();
        break;
      case '\n':
        endWord();
        line++;
        if (depth === 0) { endEntry(); atLineStart = true; }
        break;
      case ';':
        endWord();
        while (i + 1 < n && text[i + 1] !== '\n') i++;
        break;
      case '(':
        endWord();
        if (depth === 0) parenLine = line;
        depth++;
        break;
      case ')':
        endWord();
        if (depth === 0) throw new ZoneFileError(file, line, 'extra closing parenthesis');
        depth--;
        break;
      case '"': {
        endWord();
        const start = line;
        let s = '';
        let j = i + 1;
        for (; j < n && text[j] !== '"'; j++) {
          if (text[j] === '\\' && j + 1 < n) { s += text[j]! + text[j + 1]!; if (text[j + 1] === '\n') line++; j++; continue; }
          if (text[j] === '\n') line++;
          s += text[j]!;
        }
        if (j >= n) throw new ZoneFileError(file, start, 'unterminated quoted string');
        tokens.push({ text: s, quoted: true, line: start });
        i = j;
        break;
      }
      case '\\':
        if (word === '') wordLine = line;
        word += c;
        if (i + 1 < n) {
          const d = text[++i]!;
          if (d === '\n') line++;
          word += d;
        }
        break;
      default:
        if (word === '') wordLine = line;
        word += c;
    }
  }
  if (depth > 0) throw new ZoneFileError(file, parenLine, 'unbalanced parenthesis: "(" is never closed');
  endEntry();
  return entries;
}
