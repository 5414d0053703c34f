/**
 * Label selectors for `labels` and `namespace_labels`, in the syntax of Kubernetes'
 * metav1.ParseToLabelSelector: comma-separated requirements `key=value`, `key==value`,
 * `key!=value`, `key in (a, b)`, `key notin (a, b)`, `key` (exists), `!key` (does not exist).
 * Parsed once at setup (a bad selector is a Corefile error), sent to the API server in canonical
 * form, and matched locally for the manifests source.
 */

export interface Requirement { key: string; op: 'in' | 'notin' | 'exists' | '!'; values: string[] }
export interface LabelSelector { requirements: Requirement[]; text: string }

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(k: string): void {
  const slash = k.indexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (slash >= 0 && (slash === 0 || slash > 253 || !PREFIX.test(k.slice(0, slash)))) {
    throw new Error(`invalid label key "${k}": prefix must be a DNS subdomain`);
  }
  if (!NAME.test(name)) throw new Error(`invalid label key "${k}": name must be 1-63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit`);
}

function checkValue(v: string): void {
  if (v !== '' && !NAME.test(v)) throw new Error(`invalid label value "${v}": must be at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit`);
}

function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (depth < 0) throw new Error('unbalanced parentheses');
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (depth !== 0) throw new Error('unbalanced parentheses');
  out.push(cur.trim());
  if (out.some((t) => t === '')) throw new Error('empty requirement');
  return out;
}

function parseTerm(t: string): Requirement {
  let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(t);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.length === 0 || (values.length === 1 && values[0] === '')) throw new Error(`"${t}": a set needs at least one value`);
    checkKey(m[1]!);
    values.forEach(checkValue);
    return { key: m[1]!, op: m[2] as 'in' | 'notin', values: [...new Set(values)].sort() };
  }
  m = /^([^\s=!]+)\s*(==|=|!=)\s*(\S*)$/.exec(t);
  if (m) {
    checkKey(m[1]!);
    checkValue(m[3]!);
    return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
  }
  m = /^!\s*(\S+)$/.exec(t);
  if (m) { checkKey(m[1]!); return { key: m[1]!, op: '!', values: [] }; }
  if (/^\S+$/.test(t)) { checkKey(t); return { key: t, op: 'exists', values: [] }; }
  throw new Error(`cannot parse requirement "${t}"`);
}

function render(r: Requirement): string {
  switch (r.op) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    default: return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
  }
}

/** Parse a selector; throws Error with a reason when it is not valid. */
export function parseLabelSelector(s: string): LabelSelector {
  const requirements = splitTerms(s.trim()).map(parseTerm);
  return { requirements, text: requirements.map(render).join(',') };
}

export function matchLabels(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const r of sel.requirements) {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists': if (!has) return false; break;
      case '!': if (has) return false; break;
      case 'in': if (!has || !r.values.includes(l[r.key]!)) return false; break;
      default: if (has && r.values.includes(l[r.key]!)) return false;
    }
  }
  return true;
}
