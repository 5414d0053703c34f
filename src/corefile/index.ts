/**
 * The Corefile: text → a plain config tree (server blocks of directives with FILE:LINE), with
 * CoreDNS's grammar and meaning. See lexer.ts (tokens, quotes, comments, env), parser.ts (blocks,
 * snippets), imports.ts (import of snippets, files, globs) and keys.ts (zones and ports of keys).
 *
 * What is not the parser's job: whether a directive name is known, and what its args mean.
 */
import { readUserFileSync } from './files.ts';
import { lex } from './lexer.ts';
import type { Env } from './lexer.ts';
import { CorefileParser } from './parser.ts';
import type { ServerBlockConfig } from './types.ts';

export { CorefileError } from './types.ts';
export type { Directive, ServerBlockConfig } from './types.ts';
export { checkDuplicateZones, parseServerKey, parseServerKeys } from './keys.ts';
export type { ServerKey } from './keys.ts';
export { substituteEnv } from './lexer.ts';

export interface ParseOptions {
  /** Environment for `{$VAR}` / `{%VAR%}` (default: process.env). */
  env?: Env;
  /** How imported files are read (default: readUserFileSync, regular files up to 1 MiB). Globs always list the real filesystem. */
  readFile?: (file: string) => string;
}

/**
 * Parse Corefile `text`. `file` names it in errors and anchors relative imports (its directory;
 * "-" for stdin anchors at the working directory). Throws CorefileError (`FILE:LINE: message`).
 */
export function parseCorefile(text: string, file: string, opts: ParseOptions = {}): ServerBlockConfig[] {
  const env = opts.env ?? process.env;
  const readFile = opts.readFile ?? ((f: string) => readUserFileSync(f, 'corefile'));
  const tokens = lex(text, file, env, CorefileParser.chainFor(file));
  return new CorefileParser(tokens, { env, readFile, snippets: new Map() }).parseAll();
}
