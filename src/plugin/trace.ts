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

/** One query to explain (GET /explain): what the server runs through its real query path. */
export interface ExplainQuery {
  name: string;        // as asked (made absolute)
  type: number;
  port: number;        // the DNS port whose blocks take the query (the prometheus block's port)
  from: string;        // the client address the query is asked from (the HTTP client's)
  protocol: 'udp' | 'tcp'; // as a query over this transport (udp: EDNS0 with a 1232-byte buffer, as dig asks)
}

export interface ExplainReport {
  question: { name: string; type: string; protocol: 'udp' | 'tcp' };
  client: string;
  server: string | null;                  // the block's server label ("dns://:53"), null if no block took it
  block: { zones: string[]; zone: string } | null;
  plugins: TraceStep[];
  answeredBy: string | null;
  provenance: TraceNote[];
  rcode: string;
  flags: string[];                        // header flags of the response (aa, tc, rd, ra, ad, cd)
  answer: string[];
  authority: string[];
  additional: string[];
  ms: number;
  thread: number;                         // the thread that answered (0: the main thread)
}
