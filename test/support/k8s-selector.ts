/**
 * Label and field selectors for the fake Kubernetes API server, written independently of the
 * plugin's own parser (src/plugins/kubernetes/labels.ts) so a bug in one does not hide in the other.
 *
 * Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma separated.
 * Fields: `path=v`, `path==v`, `path!=v` on dotted paths (`status.phase`, `metadata.name`).
 */

type Pred = (labels: Record<string, string>) => boolean;

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function labelTerm(term: string): Pred {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const key = m[1]!, op = m[2]!, vals = new Set(m[3]!.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (l) => key in l && vals.has(l[key]!)
      : (l) => !(key in l) || !vals.has(l[key]!);
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
  if (m) {
    const key = m[1]!, op = m[2]!, val = m[3]!;
    return op === '!=' ? (l) => l[key] !== val : (l) => l[key] === val;
  }
  m = /^!\s*([\w./-]+)$/.exec(term);
  if (m) { const key = m[1]!; return (l) => !(key in l); }
  m = /^([\w./-]+)$/.exec(term);
  if (m) { const key = m[1]!; return (l) => key in l; }
  throw new Error(`unparseable label selector term ${JSON.stringify(term)}`);
}

export function labelMatcher(selector: string | null | undefined): Pred {
  if (!selector) return () => true;
  const preds = splitTopLevel(selector).map(labelTerm);
  return (l) => preds.every((p) => p(l));
}

function getPath(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function fieldMatcher(selector: string | null | undefined): (obj: unknown) => boolean {
  if (!selector) return () => true;
  const preds = splitTopLevel(selector).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new Error(`unparseable field selector term ${JSON.stringify(term)}`);
    const path = m[1]!, op = m[2]!, val = m[3]!.trim();
    return op === '!=' ? (o: unknown) => getPath(o, path) !== val : (o: unknown) => getPath(o, path) === val;
  });
  return (o) => preds.every((p) => p(o));
}
