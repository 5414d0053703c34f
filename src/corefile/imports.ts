/**
 * `import NAME [ARGS...]`: replaced by the tokens of the snippet `(NAME)` if one is defined above,
 * otherwise by the tokens of the file (or every file of the glob) NAME, relative to the directory of
 * the file the `import` line is in. As in CoreDNS's Caddy: a glob that matches nothing is fine (no
 * tokens), a plain path that does not exist is an error, and imported tokens keep their own file and
 * line so errors point into the imported file.
 *
 * Extensions over CoreDNS (which takes exactly one argument): extra arguments are substituted for
 * `{args[N]}` in the imported tokens, as Caddy v2 does. Import cycles are reported as such instead of
 * running into Caddy's expansion cap.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lex } from './lexer.ts';
import type { Env, Token } from './lexer.ts';
import { CorefileError } from './types.ts';
import { UserFileError } from './files.ts';

export interface Snippet {
  name: string;
  tokens: Token[];   // the body, without the enclosing braces
  file: string;
  line: number;
}

export interface ImportContext {
  env: Env;
  readFile: (file: string) => string;
  snippets: Map<string, Snippet>;
}

/** The directory relative imports of `file` resolve against ("-" is stdin: the working directory). */
export function dirOf(file: string): string {
  return file === '-' ? process.cwd() : path.dirname(path.resolve(file));
}

/** The chain id of a source file (see Token.chain). */
export function fileChainId(file: string): string {
  return path.resolve(file);
}

const ARG_REF = /\{args\[(\d+)\]\}/g;

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Copy `tokens` for one expansion: new chain, `{args[N]}` filled in, first token starts a line. */
function stamp(tokens: Token[], chain: readonly string[], args: string[], at: Token, what: string): Token[] {
  return tokens.map((t, i) => {
    let text = t.text;
    if (text.includes('{args[')) {
      text = text.replace(ARG_REF, (_m: string, n: string) => {
        const idx = Number(n);
        if (idx >= args.length) {
          throw CorefileError.at(at, `${what} uses {args[${idx}]} but this import passes ${args.length} argument(s) — ` +
            `add the missing argument after the name`);
        }
        return args[idx];
      });
    }
    return { ...t, text, chain, newline: i === 0 ? true : t.newline };
  });
}

function checkCycle(at: Token, id: string, label: (id: string) => string): readonly string[] {
  if (at.chain.includes(id)) {
    const loop = [...at.chain.slice(at.chain.indexOf(id)), id].map(label).join(' → ');
    throw CorefileError.at(at, `import cycle: ${loop} — remove the import that closes the loop`);
  }
  return [...at.chain, id];
}

const label = (id: string): string => (id.startsWith('(') ? `snippet ${id}` : id);

function importFile(file: string, at: Token, args: string[], ctx: ImportContext, pattern: string): Token[] {
  const chain = checkCycle(at, fileChainId(file), label);
  let text: string;
  try {
    text = ctx.readFile(file);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') {
      throw CorefileError.at(at, `import "${pattern}": no snippet (${pattern}) is defined above this line and ` +
        `file ${file} does not exist — define the snippet before its first use or fix the path`);
    }
    if (code === 'EISDIR') {
      throw CorefileError.at(at, `import "${pattern}": ${file} is a directory — import the files in it with a glob like "dir/*"`);
    }
    // UserFileError's message names the file and the problem, never the file's content.
    throw CorefileError.at(at, `import "${pattern}": ${e instanceof UserFileError ? e.message : `cannot read ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`}`);
  }
  return stamp(lex(text, file, ctx.env, chain), chain, args, at, `file ${file}`);
}

/**
 * Resolve the `import` at token `at` with its arguments `argTokens` (the rest of its line) into the
 * tokens that replace it.
 */
export function expandImport(at: Token, argTokens: Token[], ctx: ImportContext): Token[] {
  if (argTokens.length === 0 || argTokens[0].text === '') {
    throw CorefileError.at(at, 'import needs a snippet name or a file path — write "import NAME" or "import FILE"');
  }
  const pattern = argTokens[0].text;
  const args = argTokens.slice(1).map((t) => t.text);

  const snippet = ctx.snippets.get(pattern);
  if (snippet) {
    const chain = checkCycle(at, `(${pattern})`, label);
    return stamp(snippet.tokens, chain, args, at, `snippet (${pattern})`);
  }

  const abs = path.isAbsolute(pattern) ? pattern : path.join(dirOf(at.file), pattern);
  if (!/[*?[]/.test(pattern)) return importFile(abs, at, args, ctx, pattern);

  let matches: string[];
  try {
    matches = fs.globSync(abs).map((m) => path.resolve(m)).sort();
  } catch (e) {
    throw CorefileError.at(at, `import "${pattern}": bad glob pattern: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: Token[] = [];
  for (const m of matches) out.push(...importFile(m, at, args, ctx, pattern));
  return out;
}
