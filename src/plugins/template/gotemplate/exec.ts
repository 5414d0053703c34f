/**
 * Executes a parsed Go template (parse.ts) against data, with Go's evaluation rules: a field of a
 * struct that does not exist is an error, a missing map key is "<no value>", a method or function
 * gets the previous command's value as its last argument in a pipeline, `and`/`or` stop early,
 * variables are scoped to their block. Errors read as Go's:
 * `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
 */
import { BUILTINS } from './funcs.ts';
import { parseTemplate, TemplateSyntaxError, type Command, type Node, type Operand, type Pipe } from './parse.ts';
import { nodesString } from './string.ts';
import { GoStruct, NO_VALUE, printValue, truth, typeOf, type GoFunc } from './values.ts';

export class TemplateExecError extends Error {}

const MISSING = Symbol('missing');
class Break { }
class Continue { }

/** A compiled template: parse once, execute many times. */
export class GoTemplate {
  readonly name: string;
  readonly source: string;
  private readonly nodes: Node[];
  private readonly funcs: Readonly<Record<string, GoFunc>>;

  constructor(name: string, source: string, funcs: Readonly<Record<string, GoFunc>> = {}) {
    this.name = name;
    this.source = source;
    this.funcs = { ...BUILTINS, ...funcs };
    this.nodes = parseTemplate(source, name);
    checkFunctions(this.nodes, this.funcs, (pos, fn) => {
      throw new TemplateSyntaxError(`template: ${name}:${lineOf(source, pos)}: function ${JSON.stringify(fn)} not defined`);
    });
  }

  /** The template as Go's parse tree prints it (`{{.Name}} 60 IN A ...`). */
  toString(): string { return nodesString(this.nodes); }

  execute(data: unknown): string {
    return new Run(this, this.funcs, data).list(this.nodes, data);
  }

  /** Where `pos` is, as Go's ErrorContext writes it: "NAME:LINE:COL" (COL counted from 0). */
  context(pos: number): string {
    const before = this.source.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    return `${this.name}:${lineOf(this.source, pos)}:${pos - (nl + 1)}`;
  }
}

function lineOf(src: string, pos: number): number {
  return 1 + (src.slice(0, pos).match(/\n/g)?.length ?? 0);
}

function checkFunctions(nodes: Node[], funcs: Readonly<Record<string, GoFunc>>, fail: (pos: number, name: string) => never): void {
  const pipe = (p: Pipe) => { for (const c of p.cmds) for (const a of c.args) operand(a); };
  const operand = (o: Operand) => {
    if (o.kind === 'ident' && !Object.hasOwn(funcs, o.name)) fail(o.pos, o.name);
    if (o.kind === 'pipe') pipe(o.pipe);
  };
  for (const n of nodes) {
    if (n.kind === 'action') pipe(n.pipe);
    if (n.kind === 'if' || n.kind === 'with' || n.kind === 'range') {
      pipe(n.pipe);
      checkFunctions(n.list, funcs, fail);
      if (n.elseList) checkFunctions(n.elseList, funcs, fail);
    }
  }
}

class Run {
  private vars: [string, unknown][];
  private node: { pos: number; src: string } = { pos: 0, src: '' };
  private depth = 0;
  private readonly t: GoTemplate;
  private readonly funcs: Readonly<Record<string, GoFunc>>;

  constructor(t: GoTemplate, funcs: Readonly<Record<string, GoFunc>>, data: unknown) {
    this.t = t;
    this.funcs = funcs;
    this.vars = [['$', data]];
  }

  private at(n: { pos: number; src: string }): void { this.node = n; }

  private fail(msg: string): never {
    throw new TemplateExecError(`template: ${this.t.context(this.node.pos)}: executing ${JSON.stringify(this.t.name)} at <${this.node.src}>: ${msg}`);
  }

  list(nodes: Node[], dot: unknown): string {
    let out = '';
    for (const n of nodes) out += this.walk(n, dot);
    return out;
  }

  private scoped(fn: () => string): string {
    const mark = this.vars.length;
    try { return fn(); } finally { this.vars.length = mark; }
  }

  private walk(n: Node, dot: unknown): string {
    switch (n.kind) {
      case 'text': return n.text;
      case 'action': {
        const v = this.pipe(dot, n.pipe);
        return n.pipe.decl.length > 0 ? '' : printValue(v);
      }
      case 'if': case 'with':
        return this.scoped(() => {
          const v = this.pipe(dot, n.pipe);
          if (truth(v)) return this.scoped(() => this.list(n.list, n.kind === 'with' ? v : dot));
          return n.elseList ? this.scoped(() => this.list(n.elseList!, dot)) : '';
        });
      case 'range':
        return this.scoped(() => this.range(n, dot));
      case 'break': throw new Break();
      case 'continue': throw new Continue();
    }
  }

  private range(n: Extract<Node, { kind: 'range' }>, dot: unknown): string {
    const v = this.pipe(dot, { ...n.pipe, decl: [] });
    let items: [unknown, unknown][];
    if (Array.isArray(v)) items = v.map((e, i) => [i, e]);
    else if (v instanceof Map) items = [...v.keys()].map(String).sort().map((k) => [k, v.get(k)]);
    else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v === null || v === NO_VALUE || v === undefined) items = [];
    else { this.at(n.pipe); return this.fail(`range can't iterate over ${printValue(v)}`); }
    if (items.length === 0) return n.elseList ? this.scoped(() => this.list(n.elseList!, dot)) : '';
    let out = '';
    for (const [k, e] of items) {
      const mark = this.vars.length;
      if (n.pipe.decl.length === 1) this.vars.push([n.pipe.decl[0]!, e]);
      else if (n.pipe.decl.length >= 2) this.vars.push([n.pipe.decl[0]!, k], [n.pipe.decl[1]!, e]);
      try {
        out += this.list(n.list, e);
      } catch (x) {
        if (x instanceof Break) break;
        if (!(x instanceof Continue)) throw x;
      } finally {
        this.vars.length = mark;
      }
    }
    return out;
  }

  private pipe(dot: unknown, p: Pipe): unknown {
    if (++this.depth > 100) { this.at(p); this.fail('exceeded maximum template depth (100)'); }
    try {
      let v: unknown = MISSING;
      for (const c of p.cmds) v = this.command(dot, c, v);
      for (const name of p.decl) {
        if (p.assign) {
          const slot = [...this.vars].reverse().find(([k]) => k === name);
          if (!slot) { this.at(p); this.fail(`undefined variable: $${name}`); }
          slot[1] = v;
        } else {
          this.vars.push([name, v]);
        }
      }
      return v;
    } finally {
      this.depth--;
    }
  }

  private variable(name: string, at: { pos: number; src: string }): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === (name === '' ? '$' : name)) return this.vars[i]![1];
    this.at(at);
    return this.fail(`undefined variable: $${name}`);
  }

  private command(dot: unknown, c: Command, final: unknown): unknown {
    const [first, ...args] = c.args as [Operand, ...Operand[]];
    switch (first.kind) {
      case 'field': return this.chain(dot, dot, first.chain, args, final, first);
      case 'var': {
        const v = this.variable(first.name, first);
        return first.chain.length > 0 ? this.chain(dot, v, first.chain, args, final, first) : this.notAFunction(v, args, final, first);
      }
      case 'pipe': {
        const v = this.pipe(dot, first.pipe);
        return first.chain.length > 0 ? this.chain(dot, v, first.chain, args, final, first) : this.notAFunction(v, args, final, first);
      }
      case 'ident': return this.call(dot, first.name, args, final, c);
      case 'dot': return this.notAFunction(dot, args, final, first);
      case 'nil': this.at(first); return this.fail('nil is not a command');
      case 'literal': return this.notAFunction(first.value, args, final, first);
    }
  }

  private notAFunction(v: unknown, args: Operand[], final: unknown, at: Operand): unknown {
    if (args.length > 0 || final !== MISSING) { this.at(at); this.fail(`can't give argument to non-function ${at.src}`); }
    return v;
  }

  private arg(dot: unknown, o: Operand): unknown {
    switch (o.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'literal': return o.value;
      case 'field': return this.chain(dot, dot, o.chain, [], MISSING, o);
      case 'var': { const v = this.variable(o.name, o); return o.chain.length ? this.chain(dot, v, o.chain, [], MISSING, o) : v; }
      case 'pipe': { const v = this.pipe(dot, o.pipe); return o.chain.length ? this.chain(dot, v, o.chain, [], MISSING, o) : v; }
      case 'ident': return this.call(dot, o.name, [], MISSING, { args: [o], pos: o.pos, src: o.src });
    }
  }

  private chain(dot: unknown, receiver: unknown, names: string[], args: Operand[], final: unknown, at: Operand): unknown {
    let v = receiver;
    for (let i = 0; i < names.length; i++) {
      const last = i === names.length - 1;
      v = this.field(dot, v, names[i]!, last ? args : [], last ? final : MISSING, at);
    }
    return v;
  }

  private field(dot: unknown, receiver: unknown, name: string, args: Operand[], final: unknown, at: Operand): unknown {
    this.at(at);
    const hasArgs = args.length > 0 || final !== MISSING;
    if (receiver instanceof GoStruct) {
      if (Object.hasOwn(receiver.methods, name)) {
        const values = args.map((a) => this.arg(dot, a));
        if (final !== MISSING) values.push(final);
        this.at(at);
        try { return receiver.methods[name]!(...values); } catch (e) { return this.fail(`error calling ${name}: ${(e as Error).message}`); }
      }
      if (Object.hasOwn(receiver.fields, name)) {
        if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`);
        return receiver.fields[name];
      }
      return this.fail(`can't evaluate field ${name} in type ${receiver.typeName}`);
    }
    if (receiver instanceof Map) {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      return receiver.has(name) ? receiver.get(name) : NO_VALUE;
    }
    if (receiver === null || receiver === undefined || receiver === NO_VALUE) return this.fail(`nil pointer evaluating ${typeOf(receiver)}.${name}`);
    return this.fail(`can't evaluate field ${name} in type ${typeOf(receiver)}`);
  }

  private call(dot: unknown, name: string, args: Operand[], final: unknown, cmd: Command): unknown {
    const fn = this.funcs[name]!;
    if (name === 'and' || name === 'or') {
      const all = [...args];
      if (all.length === 0 && final === MISSING) { this.at(cmd); this.fail(`wrong number of args for ${name}: want at least 1 got 0`); }
      let v: unknown;
      for (const a of all) {
        v = this.arg(dot, a);
        if ((name === 'and') !== truth(v)) return v;
      }
      return final !== MISSING ? final : v;
    }
    const values = args.map((a) => this.arg(dot, a));
    if (final !== MISSING) values.push(final);
    this.at(cmd);
    try {
      return fn(...values);
    } catch (e) {
      if (e instanceof TemplateExecError || e instanceof Break || e instanceof Continue) throw e;
      return this.fail(`error calling ${name}: ${(e as Error).message}`);
    }
  }
}
