/**
 * A parsed template written back as Go's parse.Tree.Root.String() writes it: actions without the
 * spaces inside the delimiters (`{{.Name}}`), comments and trim markers gone. CoreDNS uses that
 * text as the `template` label of its failure metrics.
 */
import type { Command, Node, Operand, Pipe } from './parse.ts';

function operand(o: Operand): string {
  switch (o.kind) {
    case 'field': return o.chain.map((f) => `.${f}`).join('');
    case 'dot': return '.';
    case 'var': return `$${o.name}${o.chain.map((f) => `.${f}`).join('')}`;
    case 'ident': return o.name;
    case 'nil': return 'nil';
    case 'literal': return o.src;
    case 'pipe': return `(${pipe(o.pipe)})${o.chain.map((f) => `.${f}`).join('')}`;
  }
}

function command(c: Command): string { return c.args.map(operand).join(' '); }

function pipe(p: Pipe): string {
  const decl = p.decl.length > 0 ? `${p.decl.map((d) => `$${d}`).join(', ')} ${p.assign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(command).join(' | ');
}

export function nodesString(nodes: readonly Node[]): string {
  let s = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': s += n.text; break;
      case 'action': s += `{{${pipe(n.pipe)}}}`; break;
      case 'break': case 'continue': s += `{{${n.kind}}}`; break;
      default:
        s += `{{${n.kind} ${pipe(n.pipe)}}}${nodesString(n.list)}`;
        if (n.elseList) s += `{{else}}${nodesString(n.elseList)}`;
        s += '{{end}}';
    }
  }
  return s;
}
