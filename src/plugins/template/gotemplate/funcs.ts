/**
 * text/template's predefined functions (and, or, not, len, index, slice, print, printf, println,
 * eq, ne, lt, le, gt, ge, html, js, urlquery), with Go's argument checks and error words.
 * `and`/`or` are evaluated lazily by the executor; they are listed here so the parser knows them.
 */
import { NO_VALUE, printValue, truth, typeOf, type GoFunc } from './values.ts';

function argCount(name: string, got: number, want: number, atLeast = false): void {
  if (atLeast ? got < want : got !== want) {
    throw new Error(`wrong number of args for ${name}: want ${atLeast ? 'at least ' : ''}${want} got ${got}`);
  }
}

function toIndex(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`cannot index slice/array with type ${typeOf(v)}`);
  return v;
}

function index(item: unknown, ...idx: unknown[]): unknown {
  let v = item;
  for (const i of idx) {
    if (v === null || v === undefined || v === NO_VALUE) throw new Error('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string') {
      const n = toIndex(i);
      if (n < 0 || n >= v.length) throw new Error(`index out of range: ${n}`);
      v = typeof v === 'string' ? v.charCodeAt(n) : v[n];
    } else if (v instanceof Map) {
      if (typeof i !== 'string') throw new Error(`value has type ${typeOf(i)}; should be string`);
      v = v.has(i) ? v.get(i) : '';
    } else {
      throw new Error(`can't index item of type ${typeOf(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (!Array.isArray(item) && typeof item !== 'string') throw new Error(`can't slice item of type ${typeOf(item)}`);
  if (idx.length > 2) throw new Error(`too many slice indexes: ${idx.length}`);
  const n = idx.map(toIndex);
  const lo = n[0] ?? 0;
  const hi = n[1] ?? item.length;
  if (lo < 0 || hi > item.length || lo > hi) throw new Error(`index out of range: ${lo > hi ? hi : hi > item.length ? hi : lo}`);
  return item.slice(lo, hi);
}

function len(item: unknown): number {
  if (typeof item === 'string') return Buffer.byteLength(item, 'utf8');
  if (Array.isArray(item)) return item.length;
  if (item instanceof Map) return item.size;
  throw new Error(`len of type ${typeOf(item)}`);
}

function basic(v: unknown): 'string' | 'number' | 'bool' | 'nil' | undefined {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'nil';
  return undefined;
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new Error('missing argument for comparison');
  const ka = basic(a);
  if (!ka) throw new Error('invalid type for comparison');
  for (const b of bs) {
    const kb = basic(b);
    if (!kb) throw new Error('invalid type for comparison');
    if (ka !== kb && ka !== 'nil' && kb !== 'nil') throw new Error('incompatible types for comparison');
    if (a === b) return true;
  }
  return false;
}

function ordered(name: string, a: unknown, b: unknown): [number | string, number | string] {
  const ka = basic(a);
  const kb = basic(b);
  if (ka !== 'string' && ka !== 'number') throw new Error(`invalid type for comparison`);
  if (ka !== kb) throw new Error(`incompatible types for comparison`);
  void name;
  return [a as number | string, b as number | string];
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && typeof args[i] !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(args[i]);
  }
  return out;
}

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %q %x %X %o %b %c %t %f %e %g %%. */
export function sprintf(format: unknown, ...args: unknown[]): string {
  if (typeof format !== 'string') throw new Error(`wrong type for value; expected string; got ${typeOf(format)}`);
  let ai = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (whole, flags: string, w?: string, p?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const v = args[ai++];
    const width = w === undefined ? undefined : Number(w);
    const prec = p === undefined ? undefined : Number(p);
    const left = flags.includes('-');
    const zero = flags.includes('0') && !left;
    const plus = flags.includes('+');
    let s: string;
    switch (verb) {
      case 'v': case 's': s = printValue(v); if (prec !== undefined && typeof v === 'string') s = s.slice(0, prec); break;
      case 'q': s = typeof v === 'number' ? `'${String.fromCodePoint(v)}'` : JSON.stringify(printValue(v)); break;
      case 'd': if (typeof v !== 'number') return `%!d(${typeOf(v)}=${printValue(v)})`; s = (plus && v >= 0 ? '+' : '') + Math.trunc(v).toString(); break;
      case 'x': case 'X': {
        s = typeof v === 'number' ? Math.trunc(v).toString(16) : Buffer.from(printValue(v), 'utf8').toString('hex');
        if (flags.includes('#')) s = '0x' + s;
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'o': s = typeof v === 'number' ? Math.trunc(v).toString(8) : `%!o(${typeOf(v)}=${printValue(v)})`; break;
      case 'b': s = typeof v === 'number' ? Math.trunc(v).toString(2) : `%!b(${typeOf(v)}=${printValue(v)})`; break;
      case 'c': s = typeof v === 'number' ? String.fromCodePoint(v) : `%!c(${typeOf(v)}=${printValue(v)})`; break;
      case 't': s = typeof v === 'boolean' ? String(v) : `%!t(${typeOf(v)}=${printValue(v)})`; break;
      case 'f': case 'F': s = typeof v === 'number' ? (plus && v >= 0 ? '+' : '') + v.toFixed(prec ?? 6) : `%!f(${typeOf(v)}=${printValue(v)})`; break;
      case 'e': s = typeof v === 'number' ? v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${typeOf(v)}=${printValue(v)})`; break;
      case 'g': s = typeof v === 'number' ? printValue(v) : `%!g(${typeOf(v)}=${printValue(v)})`; break;
      default: return `%!${verb}(${typeOf(v)}=${printValue(v)})`;
    }
    void whole;
    return pad(s, width, left, zero);
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${typeOf(a)}=${printValue(a)}`).join(', ')})` : '');
}

const HTML: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

export const BUILTINS: Record<string, GoFunc> = {
  and: () => { throw new Error('and is evaluated by the executor'); },
  or: () => { throw new Error('or is evaluated by the executor'); },
  not: (...a) => { argCount('not', a.length, 1); return !truth(a[0]); },
  len: (...a) => { argCount('len', a.length, 1); return len(a[0]); },
  index: (...a) => { argCount('index', a.length, 1, true); return index(a[0], ...a.slice(1)); },
  slice: (...a) => { argCount('slice', a.length, 1, true); return slice(a[0], ...a.slice(1)); },
  print: (...a) => sprint(a),
  println: (...a) => `${a.map(printValue).join(' ')}\n`,
  printf: (...a) => { argCount('printf', a.length, 1, true); return sprintf(a[0], ...a.slice(1)); },
  eq: (...a) => { argCount('eq', a.length, 1, true); return eq(a[0], ...a.slice(1)); },
  ne: (...a) => { argCount('ne', a.length, 2); return !eq(a[0], a[1]); },
  lt: (...a) => { argCount('lt', a.length, 2); const [x, y] = ordered('lt', a[0], a[1]); return x < y; },
  le: (...a) => { argCount('le', a.length, 2); const [x, y] = ordered('le', a[0], a[1]); return x <= y; },
  gt: (...a) => { argCount('gt', a.length, 2); const [x, y] = ordered('gt', a[0], a[1]); return x > y; },
  ge: (...a) => { argCount('ge', a.length, 2); const [x, y] = ordered('ge', a[0], a[1]); return x >= y; },
  html: (...a) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML[c]!),
  js: (...a) => sprint(a).replace(/[\\'"<>&=\n\r\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).replace(/\\u005C/g, '\\\\').replace(/\\u0027/g, "\\'").replace(/\\u0022/g, '\\"'),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
};

