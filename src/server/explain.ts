/**
 * /explain, the data-plane side: run one query through the real query path of this thread (the
 * handler of the listener on the asked port, so the same block choice, chain, cache and upstreams
 * as a normal query) with a Trace on the request, and turn the trace and the bytes a client would
 * have received into a plain, structured-clonable report. The HTTP route (prometheus plugin) and,
 * with workers, the message to one worker (WorkerPool.explain, src/server/pool.ts) carry it to the operator.
 *
 * The query is a real one: it runs as a UDP query with EDNS0 (a 1232-byte buffer, as dig asks; or
 * TCP when asked) from the HTTP client's address, passes every plugin (acl, cache, forward, log,
 * prometheus) and is counted and logged like any query. Nothing of the trace reaches the wire or
 * a cache.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { decode, encodeQuery } from '../dns/codec.ts';
import { typeString } from '../dns/mnemonics.ts';
import { fqdn, lowerName } from '../dns/name.ts';
import { recordText } from '../dns/text.ts';
import { rcodeName } from '../dns/types.ts';
import { Trace, type ExplainQuery, type ExplainReport } from '../plugin/trace.ts';
import type { QueryHandler } from './handler.ts';

export type { ExplainQuery, ExplainReport } from '../plugin/trace.ts';

/** The listener handlers of one data plane, by "address|port". */
export type HandlersByListener = ReadonlyMap<string, QueryHandler>;

export async function explainQuery(handlers: HandlersByListener, q: ExplainQuery): Promise<ExplainReport> {
  let handler: QueryHandler | undefined;
  let local = '';
  for (const [key, h] of handlers) {
    const bar = key.lastIndexOf('|');
    if (Number(key.slice(bar + 1)) !== q.port) continue;
    handler = h;
    local = key.slice(0, bar);
    break;
  }
  if (!handler) throw new Error(`no DNS listener on port ${q.port}`);
  const name = fqdn(q.name);
  const trace = new Trace(`${lowerName(name)} ${typeString(q.type)}`);
  const wire = encodeQuery(name, q.type, { udpSize: 1232 });
  if (local === '0.0.0.0' || local === '') local = '127.0.0.1';
  else if (local === '::') local = '::1';
  const t0 = performance.now();
  const bytes = await new Promise<Buffer | null>((resolve) => {
    handler.handle(wire, { protocol: q.protocol, remoteAddress: q.from, remotePort: 0, localAddress: local, localPort: q.port }, resolve, trace);
  });
  const ms = Math.round((performance.now() - t0) * 1000) / 1000;
  const res = bytes ? decode(bytes) : undefined;
  let answeredBy: string | null = null;
  for (const s of trace.steps) if (s.did === 'answered') answeredBy = s.plugin;
  const flags: string[] = [];
  if (res) for (const f of ['aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const) if (res[f]) flags.push(f);
  return {
    question: { name, type: typeString(q.type), protocol: q.protocol },
    client: q.from,
    server: trace.block?.server ?? null,
    block: trace.block ? { zones: [...trace.block.zones], zone: trace.block.zone } : null,
    plugins: trace.steps,
    answeredBy,
    provenance: trace.notes,
    rcode: res ? rcodeName(res.rcode) : 'no response (dropped)',
    flags,
    answer: res ? res.answers.map(recordText) : [],
    authority: res ? res.authority.map(recordText) : [],
    additional: res ? res.additional.map(recordText) : [],
    ms,
    thread: threadId,
  };
}
