/**
 * The plain config tree the Corefile parser produces. Everything carries FILE:LINE so a plugin's
 * setup can report `FILE:LINE: message` for the user (see CorefileError).
 */

export interface Directive {
  name: string;            // the directive word, e.g. "forward", or an option inside a block, e.g. "except"
  args: string[];          // the remaining tokens on the same line (quotes removed, escapes resolved, env substituted)
  file: string;            // the file the directive was read from (an imported file names itself)
  line: number;            // 1-based line of the directive word
  block: Directive[] | null; // the lines inside `{ ... }` after the args, or null when there is no block
}

export interface ServerBlockConfig {
  keys: string[];          // the raw keys as written, e.g. ["cluster.local:53", "in-addr.arpa:53"]
  file: string;
  line: number;            // line of the first key
  directives: Directive[];
}

/** An error the user can cause and fix. Its message is rendered as `FILE:LINE: message`. */
export class CorefileError extends Error {
  readonly file: string;
  readonly line: number;
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'CorefileError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
  static at(d: { file: string; line: number }, detail: string): CorefileError {
    return new CorefileError(d.file, d.line, detail);
  }
}
