/**
 * Go values as templates see them: strings, numbers, booleans, nil, slices (arrays), maps (Map),
 * structs (GoStruct: fields, methods and an optional String method), and the "no value" that a
 * missing map key yields. Printing follows fmt's %v, as text/template prints an action's value.
 */

/** What a missing map key evaluates to; printed as "<no value>". */
export const NO_VALUE: unique symbol = Symbol('no value');

/** A Go struct (or pointer to one): named fields, methods taking arguments, and fmt.Stringer. */
export class GoStruct {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly methods: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  readonly stringer: (() => string) | undefined;
  constructor(
    typeName: string,
    fields: Readonly<Record<string, unknown>>,
    methods: Readonly<Record<string, (...args: unknown[]) => unknown>> = {},
    stringer?: () => string,
  ) {
    this.typeName = typeName;
    this.fields = fields;
    this.methods = methods;
    this.stringer = stringer;
  }
}

/** A Go function value: throws an Error for a non-nil error result. */
export type GoFunc = (...args: unknown[]) => unknown;

/** Go's truth: false, 0, nil, "", empty slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** The Go type name shown in error messages. */
export function typeOf(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return 'invalid';
  if (v === null) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]string';
  if (v instanceof Map) return 'map[string]string';
  if (v instanceof GoStruct) return v.typeName;
  if (typeof v === 'function') return 'func';
  return 'interface {}';
}

/** fmt's %v of a number: integers in decimal, floats as Go's %v (shortest, 'e' for large exponents). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) {
    if (n === Infinity) return '+Inf';
    if (n === -Infinity) return '-Inf';
    if (Number.isNaN(n)) return 'NaN';
    return Math.abs(n) < 1e21 ? n.toFixed(0) : n.toExponential().replace(/e\+?(-?)(\d)$/, 'e+$10$2');
  }
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** fmt.Sprint of one value (%v). */
export function printValue(v: unknown): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (v instanceof Map) {
    const keys = [...v.keys()].map(String).sort();
    return `map[${keys.map((k) => `${k}:${printValue(v.get(k))}`).join(' ')}]`;
  }
  if (v instanceof GoStruct) return v.stringer ? v.stringer() : `{${Object.values(v.fields).map(printValue).join(' ')}}`;
  if (typeof v === 'function') return '<func>';
  return String(v);
}
