/**
 * The trace of one explained query (GET /explain on the prometheus listener): the plugins the
 * query went through, what each did, and the provenance notes plugins add about where their answer
 * came from (a Service and its resourceVersion, a hosts file line, a cache entry, an upstream).
 *
 * A Request carries a Trace only when it is being explained, and only the server puts one there
 * (never anything read from the wire), so plugins add notes behind one check and a normal query
 * pays nothing else:
 *
 *   if (req.trace) req.trace.note('hosts', { file, line });
 */

/** What one plugin did with the query (in the order the plugins were entered). */
export interface TraceStep {
  plugin: string;
  /** The question this plugin saw, when it is not the one asked (after a rewrite, or a sub-lookup). */
  question?: string;
  /** 'answered' | 'called next' | 'called next, changed the answer' | 'sent no answer' | 'failed'. */
  did: string;
  /** The question it passed on, when it changed it (rewrite). */
  rewrote?: string;
  /** How many times it called the next plugin (0 when it answered itself). */
  nextCalls: number;
  /** Milliseconds from entering this plugin to its result (including the plugins after it). */
  ms: number;
}

/** One provenance note: which plugin says it, and its fields (plain, JSON-friendly values). */
export interface TraceNote { plugin: string; [field: string]: unknown }

export class Trace {
  readonly steps: TraceStep[] = [];
  readonly notes: TraceNote[] = [];
  /** The server block that took the query: its zones, the zone matched and its server label. */
  block: { zones: readonly string[]; zone: string; server: string } | undefined;
  /** The question as asked ("name. TYPE", name lower-cased): steps name theirs when it differs. */
  readonly asked: string;

  constructor(asked: string) { this.asked = asked; }

  /** Add a provenance note for `plugin` (what it answered from, and how fresh it is). */
  note(plugin: string, fields: Record<string, unknown>): void {
    this.notes.push({ plugin, ...fields });
  }
}
