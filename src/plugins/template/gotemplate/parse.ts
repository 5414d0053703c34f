/**
 * Go's text/template language, parsed: the part of it CoreDNS template Corefiles use and a good
 * margin more — text and actions with `{{-`/`-}}` trimming and comments, pipelines with `|`,
 * fields and chains (`.Group.name`, `$x.Name`, `(index .Match 1)`), variables (`$x := ...`,
 * `$x = ...`), literals (strings, raw strings, numbers, chars, true/false/nil), function calls, and
 * if / else if / range / with / break / continue. `define`, `template` and `block` (named
 * sub-templates) are refused at parse time.
 *
 * Why our own: the one maintained npm package (@ctrl/golang-template) has no pipelines, no
 * comparison functions, no printf, no variables and no custom functions (CoreDNS's parseInt), and
 * its errors are not Go's; the others are unlicensed or wrap the Go binary. Nodes keep their
 * offset and text so execution errors read as Go's (`template: answer:1:26: executing "answer"
 * at <index .Match 2>: ...`).
 */

export class TemplateSyntaxError extends Error {}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe; pos: number }
  | { kind: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] | null; pos: number }
  | { kind: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null; pos: number }
  | { kind: 'break' | 'continue'; pos: number };

export interface Pipe { decl: string[]; assign: boolean; cmds: Command[]; pos: number; src: string }
export interface Command { args: Operand[]; pos: number; src: string }
export type Operand =
  | { kind: 'field'; chain: string[]; pos: number; src: string }            // .A.B
  | { kind: 'dot'; pos: number; src: string }
  | { kind: 'var'; name: string; chain: string[]; pos: number; src: string } // $x.A
  | { kind: 'ident'; name: string; pos: number; src: string }               // function name
  | { kind: 'literal'; value: unknown; pos: number; src: string }
  | { kind: 'nil'; pos: number; src: string }
  | { kind: 'pipe'; pipe: Pipe; chain: string[]; pos: number; src: string }; // (pipeline).A

type Tok = { t: 'field' | 'var' | 'ident' | 'string' | 'number' | 'char' | 'dot' | '(' | ')' | '|' | ':=' | '=' | ',' | 'space' | 'end'; v: string; pos: number };

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)(?:i)?/y;

/** Lex the inside of one action (between the delimiters) into tokens; offsets are absolute. */
function lexAction(src: string, start: number, end: number, name: string, line: () => number): Tok[] {
  const out: Tok[] = [];
  let i = start;
  const fail = (msg: string): never => { throw new TemplateSyntaxError(`template: ${name}:${line()}: ${msg}`); };
  while (i < end) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      while (i < end && /\s/.test(src[i]!)) i++;
      out.push({ t: 'space', v: ' ', pos: i });
      continue;
    }
    const pos = i;
    if (c === '(' || c === ')' || c === '|' || c === ',') { out.push({ t: c, v: c, pos }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { out.push({ t: ':=', v: ':=', pos }); i += 2; continue; }
    if (c === '=') { out.push({ t: '=', v: '=', pos }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < end && src[j] !== '"') { if (src[j] === '\\') j++; if (src[j] === '\n') fail('unterminated quoted string'); j++; }
      if (j >= end) fail('unterminated quoted string');
      out.push({ t: 'string', v: unquote(src.slice(i, j + 1), fail), pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0 || j >= end) fail('unterminated raw quoted string');
      out.push({ t: 'string', v: src.slice(i + 1, j), pos });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < end && src[j] !== "'") { if (src[j] === '\\') j++; j++; }
      if (j >= end) fail('unterminated character constant');
      const ch = unquote(`"${src.slice(i + 1, j)}"`, fail);
      out.push({ t: 'char', v: String(ch.codePointAt(0) ?? 0), pos });
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '$') {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(src);
      if (c === '.' && (!m || m.index !== i + 1)) {
        if (/\d/.test(src[i + 1] ?? '')) { /* a number like .5 */ } else { out.push({ t: 'dot', v: '.', pos }); i++; continue; }
      } else {
        const word = m && m.index === i + 1 ? m[0] : '';
        out.push({ t: c === '.' ? 'field' : 'var', v: word, pos });
        i += 1 + word.length;
        continue;
      }
    }
    NUMBER.lastIndex = i;
    const n = NUMBER.exec(src);
    if (n && n.index === i && n[0].length > 0 && /[\d]/.test(n[0])) {
      out.push({ t: 'number', v: n[0], pos });
      i += n[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const w = IDENT.exec(src);
    if (w && w.index === i) { out.push({ t: 'ident', v: w[0], pos }); i += w[0].length; continue; }
    fail(`unexpected ${JSON.stringify(c)} in command`);
  }
  out.push({ t: 'end', v: '', pos: end });
  return out;
}

/** A Go interpreted string literal's value. */
function unquote(lit: string, fail: (m: string) => never): string {
  try {
    const body = lit.slice(1, -1).replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\([0-7]{3})/g, (_, o: string) => `\\u${parseInt(o, 8).toString(16).padStart(4, '0')}`)
      .replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b').replace(/\\U([0-9a-fA-F]{8})/g, (_, h: string) => `\\u{${h.replace(/^0+/, '') || '0'}}`);
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return fail(`bad string syntax: ${lit}`);
  }
}

function numberValue(s: string): number {
  const t = s.replace(/_/g, '');
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  let v: number;
  if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) v = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) v = parseInt(body.slice(2), 8);
  else if (/^0\d+$/.test(body)) v = parseInt(body, 8);
  else v = Number(body);
  return neg ? -v : v;
}

/** Parse a template into its node list; `name` is how errors name it (CoreDNS: "answer", ...). */
export function parseTemplate(src: string, name: string): Node[] {
  // 1. split into text and actions
  type Piece = { text: string } | { action: [number, number]; pos: number };
  const pieces: Piece[] = [];
  let i = 0;
  const lineAt = (p: number) => 1 + (src.slice(0, p).match(/\n/g)?.length ?? 0);
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { pieces.push({ text: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let a = open + 2;
    if (src[a] === '-' && /\s/.test(src[a + 1] ?? '')) { text = text.replace(/\s+$/, ''); a += 1; }
    pieces.push({ text });
    let close: number;
    const trimmedStart = a;
    while (/\s/.test(src[a] ?? '')) a++;
    if (src.startsWith('/*', a)) {
      const endC = src.indexOf('*/', a + 2);
      if (endC < 0) throw new TemplateSyntaxError(`template: ${name}:${lineAt(open)}: unclosed comment`);
      let after = endC + 2;
      const trimRight = src.startsWith(' -}}', after) ? (after += 4, true) : src.startsWith('}}', after) ? (after += 2, false) : null;
      if (trimRight === null) throw new TemplateSyntaxError(`template: ${name}:${lineAt(open)}: comment ends before closing delimiter`);
      i = after;
      if (trimRight) { const m = /^\s*/.exec(src.slice(i))!; i += m[0].length; }
      continue;
    }
    a = trimmedStart;
    close = src.indexOf('}}', a);
    if (close < 0) throw new TemplateSyntaxError(`template: ${name}:${lineAt(open)}: unclosed action`);
    let inner = close;
    let next = close + 2;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      inner = close - 1;
      const m = /^\s*/.exec(src.slice(next))!;
      next += m[0].length;
    }
    pieces.push({ action: [a, inner], pos: a });
    i = next;
  }
  // 2. parse the actions into a tree
  let k = 0;
  const parseList = (stopAt: readonly string[]): [Node[], string, Tok[], number] => {
    const list: Node[] = [];
    while (k < pieces.length) {
      const p = pieces[k++]!;
      if ('text' in p) { if (p.text) list.push({ kind: 'text', text: p.text }); continue; }
      const [a, b] = p.action;
      const toks = lexAction(src, a, b, name, () => lineAt(a)).filter((t, idx, arr) => !(t.t === 'space' && (idx === 0 || arr[idx + 1]?.t === 'end')));
      let t0 = toks[0]!;
      if (t0.t === 'space') t0 = toks[1]!;
      const word = t0.t === 'ident' ? t0.v : '';
      if (stopAt.includes(word)) return [list, word, toks, a];
      const fail = (m: string): never => { throw new TemplateSyntaxError(`template: ${name}:${lineAt(a)}: ${m}`); };
      switch (word) {
        case 'if': case 'with': case 'range': list.push(control(word, toks, a, fail)); break;
        case 'end': case 'else': fail(`unexpected {{${word}}}`); break;
        case 'break': case 'continue': list.push({ kind: word, pos: a }); break;
        case 'define': case 'template': case 'block': fail(`{{${word}}} (named templates) is not supported here`); break;
        default: {
          const pipe = new PipeParser(src, toks, fail).pipeline(true);
          list.push({ kind: 'action', pipe, pos: a });
        }
      }
    }
    if (stopAt.length > 0) throw new TemplateSyntaxError(`template: ${name}:${lineAt(src.length)}: unexpected EOF`);
    return [list, '', [], src.length];
  };
  const control = (word: 'if' | 'with' | 'range', toks: Tok[], pos: number, fail: (m: string) => never): Node => {
    const rest = toks.slice(toks.findIndex((t) => t.t === 'ident') + 1);
    const pipe = new PipeParser(src, rest, fail).pipeline(word === 'range' || word === 'with' || word === 'if');
    if (pipe.cmds.length === 0) fail(`missing value for ${word}`);
    const [list, stop, stopToks, stopPos] = parseList(['end', 'else']);
    let elseList: Node[] | null = null;
    if (stop === 'else') {
      const after = stopToks.filter((t) => t.t !== 'space' && t.t !== 'end');
      if (after.length > 1 && (after[1]!.v === 'if' || after[1]!.v === 'with')) {
        // `{{else if ...}}` is `{{else}}{{if ...}}...{{end}}` sharing the outer {{end}}
        elseList = [control(after[1]!.v as 'if' | 'with', stopToks.slice(stopToks.indexOf(after[1]!)), stopPos, fail)];
        return { kind: word, pipe, list, elseList, pos };
      }
      const [els, stop2] = parseList(['end']);
      if (stop2 !== 'end') fail('expected end');
      elseList = els;
    }
    return { kind: word, pipe, list, elseList, pos } as Node;
  };
  const [nodes] = parseList([]);
  return nodes;
}

class PipeParser {
  private i = 0;
  private readonly src: string;
  private readonly toks: Tok[];
  private readonly fail: (m: string) => never;
  constructor(src: string, toks: Tok[], fail: (m: string) => never) {
    this.src = src;
    this.toks = toks;
    this.fail = fail;
  }
  private peek(): Tok { while (this.toks[this.i]?.t === 'space') this.i++; return this.toks[this.i] ?? { t: 'end', v: '', pos: this.src.length }; }
  private next(): Tok { const t = this.peek(); this.i++; return t; }

  pipeline(allowDecl: boolean): Pipe {
    const start = this.peek().pos;
    const decl: string[] = [];
    let assign = false;
    if (allowDecl) {
      const save = this.i;
      const vars: string[] = [];
      for (;;) {
        const t = this.peek();
        if (t.t !== 'var') break;
        this.i++;
        vars.push(t.v);
        const sep = this.peek();
        if (sep.t === ',') { this.i++; continue; }
        if (sep.t === ':=' || sep.t === '=') { this.i++; assign = sep.t === '='; decl.push(...vars); }
        break;
      }
      if (decl.length === 0) this.i = save;
    }
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'end' || t.t === ')') break;
      cmds.push(this.command());
      const sep = this.peek();
      if (sep.t === '|') { this.i++; continue; }
      if (sep.t !== 'end' && sep.t !== ')') this.fail(`unexpected ${JSON.stringify(sep.v)} in operand`);
    }
    if (decl.length > 0 && cmds.length === 0) this.fail('missing value for command');
    const end = this.peek().pos;
    return { decl, assign, cmds, pos: start, src: this.src.slice(start, end).trim() };
  }

  private command(): Command {
    const start = this.peek().pos;
    const args: Operand[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'end' || t.t === ')' || t.t === '|') break;
      args.push(this.operand());
      // operands must be separated by space
      const after = this.toks[this.i];
      if (after && after.t !== 'space' && after.t !== 'end' && after.t !== ')' && after.t !== '|') this.fail(`unexpected ${JSON.stringify(after.v)} in operand`);
    }
    if (args.length === 0) this.fail('empty command');
    const end = this.peek().pos;
    return { args, pos: start, src: this.src.slice(start, end).trim() };
  }

  private chain(): string[] {
    const out: string[] = [];
    while (this.toks[this.i]?.t === 'field') out.push(this.toks[this.i++]!.v);
    return out;
  }

  private operand(): Operand {
    const t = this.next();
    const srcOf = (from: number) => this.src.slice(from, this.toks[this.i]?.pos ?? this.src.length).trim();
    switch (t.t) {
      case 'field': { const chain = [t.v, ...this.chain()]; return { kind: 'field', chain, pos: t.pos, src: srcOf(t.pos) }; }
      case 'dot': return { kind: 'dot', pos: t.pos, src: '.' };
      case 'var': { const chain = this.chain(); return { kind: 'var', name: t.v, chain, pos: t.pos, src: srcOf(t.pos) }; }
      case 'string': return { kind: 'literal', value: t.v, pos: t.pos, src: srcOf(t.pos) };
      case 'char': return { kind: 'literal', value: Number(t.v), pos: t.pos, src: srcOf(t.pos) };
      case 'number': {
        const v = numberValue(t.v);
        if (Number.isNaN(v) || t.v.endsWith('i')) this.fail(`illegal number syntax: ${JSON.stringify(t.v)}`);
        return { kind: 'literal', value: v, pos: t.pos, src: t.v };
      }
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'literal', value: t.v === 'true', pos: t.pos, src: t.v };
        if (t.v === 'nil') return { kind: 'nil', pos: t.pos, src: 'nil' };
        return { kind: 'ident', name: t.v, pos: t.pos, src: t.v };
      case '(': {
        const pipe = this.pipeline(false);
        if (this.next().t !== ')') this.fail('unclosed left paren');
        const chain = this.chain();
        return { kind: 'pipe', pipe, chain, pos: t.pos, src: srcOf(t.pos) };
      }
      default:
        return this.fail(`unexpected ${JSON.stringify(t.v || 'end')} in operand`);
    }
  }
}
