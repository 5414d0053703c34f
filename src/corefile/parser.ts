/**
 * The Corefile parser: tokens → server blocks of directive trees, with CoreDNS's (Caddy v1) grammar:
 *
 *   corefile  := ( snippet | serverblock | import )*
 *   snippet   := "(NAME)" "{" tokens "}"                 (top level only; replayed by `import NAME`)
 *   serverblock := KEY ([,] KEY)* "{" line* "}"          (keys on one line; a trailing comma continues
 *                                                         the list on the next line; "{" may be on the next line)
 *   line      := import | WORD ARG* [ "{" line* "}" ]    (args are the tokens on the same line)
 *
 * As in Caddy, the first server block may omit its braces (its directives then run to the end of the
 * file) and a Corefile may be just a line of keys. `import` is expanded where it starts a line, at
 * the top level, in a server block or inside a directive's block, by splicing tokens, so an imported
 * file may hold directives, options or whole server blocks.
 *
 * Stricter than Caddy (each of these is an error here instead of a silent surprise): a `{` on its own
 * line after a directive, tokens after a directive's closing `}` on the same line, a stray `}`, an
 * unterminated block, and a second brace-less "server block" (a directive outside any block).
 */
import { expandImport, fileChainId } from './imports.ts';
import type { ImportContext, Snippet } from './imports.ts';
import type { Token } from './lexer.ts';
import { CorefileError } from './types.ts';
import type { Directive, ServerBlockConfig } from './types.ts';

/** Cap on imports expanded in one parse (CoreDNS's Caddy caps at 1000 of each kind). */
const MAX_EXPANSIONS = 10_000;

const describe = (t: Token): string => (t.text === '' ? '""' : `'${t.text}'`);

/** Directive names never contain these; server keys (".", ".:53", "example.org") nearly always do. */
const looksLikeKey = (name: string): boolean => /[.:/]/.test(name);

export class CorefileParser {
  private tokens: Token[];
  private pos = 0;
  private expansions = 0;
  private readonly ctx: ImportContext;

  constructor(tokens: Token[], ctx: ImportContext) {
    this.tokens = tokens;
    this.ctx = ctx;
  }

  static chainFor(file: string): readonly string[] {
    return file === '-' ? [] : [fileChainId(file)];
  }

  parseAll(): ServerBlockConfig[] {
    const blocks: ServerBlockConfig[] = [];
    let sawBlock = false;
    for (;;) {
      const t = this.peek();
      if (!t) return blocks;
      if (t.brace === null && t.text === 'import') { this.spliceImport(); continue; }
      if (t.brace === '}') throw this.stray(t);
      if (t.brace === '{') {
        throw CorefileError.at(t, "'{' with no server block key before it — write a zone such as '.:53' before '{'");
      }
      const { keys, first } = this.parseKeys();
      const open = this.peek();
      const snippetName = keys.length === 1 && /^\(.*\)$/.test(keys[0]) ? keys[0].slice(1, -1) : null;
      if (snippetName !== null) {
        if (!open || open.brace !== '{') {
          throw CorefileError.at(first, `snippet (${snippetName}) needs a body — write "(${snippetName}) {" and close it with "}"`);
        }
        this.pos++;
        this.defineSnippet(snippetName, first, open);
        continue;
      }
      const block: ServerBlockConfig = { keys, file: first.file, line: first.line, directives: [] };
      if (open && open.brace === '{') {
        this.pos++;
        block.directives = this.parseLines(open);
      } else if (sawBlock) {
        // Caddy lets a single server block omit its braces; anything later is outside every block.
        throw this.outside(first);
      } else if (open) {
        block.directives = this.parseLines(null);
        if (block.directives.some((d) => d.block !== null && looksLikeKey(d.name))) throw this.outside(first);
      }
      sawBlock = true;
      blocks.push(block);
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private stray(t: Token): CorefileError {
    return CorefileError.at(t, "unexpected '}' with no open '{' — remove it or add the missing '{'");
  }

  private outside(first: Token): CorefileError {
    return CorefileError.at(first, `${describe(first)} is outside any server block — move it inside a block's { }, ` +
      `or add '{' after it if it is a zone`);
  }

  /** Keys: the tokens of one line (a trailing comma continues onto the next), split on commas. */
  private parseKeys(): { keys: string[]; first: Token } {
    const first = this.tokens[this.pos];
    const keys: string[] = [];
    let expectMore = false;
    let last = first;
    for (let n = 0; ; n++) {
      const t = this.peek();
      if (!t) break;
      if (n > 0 && t.newline && !expectMore) break;
      if (t.brace !== null) break;
      this.pos++;
      last = t;
      expectMore = t.text.endsWith(',');
      for (const piece of t.text.split(',')) if (piece !== '') keys.push(piece);
    }
    if (expectMore) {
      throw CorefileError.at(last, "expected another server block key after ',' — remove the trailing comma or add the key");
    }
    // Like Caddy, an empty key (an unset {$VAR}, or "") is skipped; a block with no key at all is an error.
    if (keys.length === 0) {
      throw CorefileError.at(first, "empty server block key — write a zone such as '.' or 'example.org'");
    }
    return { keys, first };
  }

  private defineSnippet(name: string, first: Token, open: Token): void {
    const prev = this.ctx.snippets.get(name);
    if (prev) {
      throw CorefileError.at(first, `snippet (${name}) is already defined at ${prev.file}:${prev.line} — rename one of them`);
    }
    const body: Token[] = [];
    let depth = 1;
    for (;;) {
      const t = this.peek();
      if (!t) throw this.unclosed(open);
      this.pos++;
      if (t.brace === '{') depth++;
      if (t.brace === '}' && --depth === 0) break;
      body.push(t);
    }
    this.ctx.snippets.set(name, { name, tokens: body, file: first.file, line: first.line } satisfies Snippet);
  }

  private unclosed(open: Token): CorefileError {
    return CorefileError.at(open, "unclosed '{' — add the matching '}'");
  }

  /** Lines of a block up to its closing `}` (open !== null) or to the end of input (open === null). */
  private parseLines(open: Token | null): Directive[] {
    const out: Directive[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) {
        if (open) throw this.unclosed(open);
        return out;
      }
      if (t.brace === '}') {
        if (!open) throw this.stray(t);
        this.pos++;
        return out;
      }
      if (t.brace === '{') {
        throw CorefileError.at(t, "'{' must be on the same line as the directive it opens — move it up to the end of that line");
      }
      if (t.text === 'import') { this.spliceImport(); continue; }
      out.push(this.parseDirective());
    }
  }

  private parseDirective(): Directive {
    const nameTok = this.tokens[this.pos++];
    const args: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || t.newline || t.brace !== null) break;
      args.push(t.text);
      this.pos++;
    }
    const d: Directive = { name: nameTok.text, args, file: nameTok.file, line: nameTok.line, block: null };
    const open = this.peek();
    if (open && !open.newline && open.brace === '{') {
      this.pos++;
      if (/^\(.*\)$/.test(d.name)) {
        throw CorefileError.at(nameTok, `snippet ${d.name} must be defined at the top level, outside any server block`);
      }
      d.block = this.parseLines(open);
      const after = this.peek();
      if (after && !after.newline && after.brace === null) {
        throw CorefileError.at(after, `unexpected ${describe(after)} after '}' — start it on a new line`);
      }
    }
    return d;
  }

  /** Replace the `import` at the cursor and the rest of its line with the imported tokens. */
  private spliceImport(): void {
    const at = this.tokens[this.pos];
    let end = this.pos + 1;
    while (end < this.tokens.length && !this.tokens[end].newline && this.tokens[end].brace === null) end++;
    if (++this.expansions > MAX_EXPANSIONS) {
      throw CorefileError.at(at, `more than ${MAX_EXPANSIONS} imports expanded — check for imports that multiply`);
    }
    const imported = expandImport(at, this.tokens.slice(this.pos + 1, end), this.ctx);
    this.tokens = [...this.tokens.slice(0, this.pos), ...imported, ...this.tokens.slice(end)];
  }
}
