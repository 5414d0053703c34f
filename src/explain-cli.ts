/**
 * `clusterdns -explain NAME [TYPE]`: ask a running clusterdns "why this answer?" through its
 * metrics listener (GET /explain, the prometheus plugin) and print the report — a readable summary,
 * or the JSON with -explain.json. Made for `kubectl exec` into the distroless pod, where there is
 * no curl or dig: the image's own binary is the client.
 *
 *   -explain.addr HOST:PORT   the metrics address (default 127.0.0.1:9153; ":9153" means 127.0.0.1)
 *   -explain.proto udp|tcp    ask as a UDP (default) or TCP query
 *   -explain.json             print the JSON report as the server sent it
 *
 * Exit codes: 0 a report was printed (whatever its rcode), 1 the server could not be asked or
 * refused (unreachable, rate-limited, error), 2 bad usage.
 */
import http from 'node:http';
import type { ExplainReport } from './server/explain.ts';

/** One GET with node:http (lighter than fetch: this runs inside the server's pod, under its memory limit). */
function get(url: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

const USAGE = `Usage: clusterdns -explain NAME [TYPE] [-explain.addr HOST:PORT] [-explain.proto udp|tcp] [-explain.json]
  asks the clusterdns serving metrics on HOST:PORT (default 127.0.0.1:9153) why NAME TYPE (default A)
  gets its answer: the server block, each plugin passed, where the answer came from, the records.
`;

interface ExplainArgs { name: string; type: string; addr: string; proto: string; json: boolean }

function parse(argv: readonly string[]): ExplainArgs | string {
  const a: ExplainArgs = { name: '', type: 'A', addr: '127.0.0.1:9153', proto: 'udp', json: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?(explain(?:\.[a-z]+)?)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) { positional.push(argv[i]!); continue; }
    const flag = m[1]!;
    if (flag === 'explain') { if (m[2] !== undefined) positional.push(m[2]); continue; }
    if (flag === 'explain.json') { a.json = m[2] === undefined || m[2] === 'true'; continue; }
    const v = m[2] ?? argv[++i];
    if (v === undefined) return `flag needs an argument: -${flag}`;
    if (flag === 'explain.addr') a.addr = v;
    else if (flag === 'explain.proto') a.proto = v;
    else return `flag provided but not defined: -${flag}`;
  }
  if (positional.length < 1 || positional.length > 2) return 'give NAME and optionally TYPE';
  a.name = positional[0]!;
  if (positional[1] !== undefined) a.type = positional[1];
  if (a.proto !== 'udp' && a.proto !== 'tcp') return `invalid value "${a.proto}" for flag -explain.proto: udp or tcp`;
  if (!/^(\[[^\]]+\]|[^:]*):\d+$/.test(a.addr)) return `invalid value "${a.addr}" for flag -explain.addr: use HOST:PORT`;
  if (a.addr.startsWith(':')) a.addr = `127.0.0.1${a.addr}`;
  return a;
}

function fields(o: Record<string, unknown>): string {
  return Object.entries(o).filter(([k]) => k !== 'plugin')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

/** The report as a few readable lines. */
export function summary(r: ExplainReport): string {
  const out: string[] = [];
  out.push(`${r.question.name} ${r.question.type} (${r.question.protocol}, from ${r.client}, ${r.ms} ms, thread ${r.thread})`);
  out.push(r.block ? `server block: ${r.server} zones ${r.block.zones.join(' ')} (matched ${r.block.zone})` : 'server block: none takes this name (REFUSED)');
  if (r.plugins.length > 0) {
    out.push('plugins:');
    const w = Math.max(...r.plugins.map((p) => p.plugin.length));
    for (const p of r.plugins) {
      const extra = [p.question ? `asked ${p.question}` : '', p.rewrote ? `rewrote to ${p.rewrote}` : ''].filter(Boolean).join(', ');
      out.push(`  ${p.plugin.padEnd(w)}  ${p.did}${extra ? ` (${extra})` : ''}`);
    }
  }
  out.push(`answered by: ${r.answeredBy ?? '(none)'}`);
  if (r.provenance.length > 0) {
    out.push('provenance:');
    for (const n of r.provenance) out.push(`  ${n.plugin}: ${fields(n)}`);
  }
  out.push(`rcode: ${r.rcode}${r.flags.length > 0 ? `  flags: ${r.flags.join(' ')}` : ''}`);
  for (const [title, list] of [['answer', r.answer], ['authority', r.authority], ['additional', r.additional]] as const) {
    if (list.length === 0) continue;
    out.push(`${title}:`);
    for (const l of list) out.push(`  ${l}`);
  }
  return `${out.join('\n')}\n`;
}

export async function runExplain(argv: readonly string[]): Promise<number> {
  const a = parse(argv);
  if (typeof a === 'string') { process.stderr.write(`${a}\n${USAGE}`); return 2; }
  const url = `http://${a.addr}/explain?${new URLSearchParams({ name: a.name, type: a.type, proto: a.proto })}`;
  let res: { status: number; text: string };
  try {
    res = await get(url, 20_000);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    process.stderr.write(`clusterdns: cannot ask ${a.addr} (${why}): is clusterdns running with \`prometheus ${a.addr}\`? Name another address with -explain.addr HOST:PORT\n`);
    return 1;
  }
  const text = res.text;
  if (res.status !== 200) {
    let msg = text.trim();
    try { msg = (JSON.parse(text) as { error?: string }).error ?? msg; } catch { /* not JSON: a server without /explain */ }
    process.stderr.write(`clusterdns: ${a.addr} answered ${res.status}: ${msg}\n`);
    return 1;
  }
  process.stdout.write(a.json ? text : summary(JSON.parse(text) as ExplainReport));
  return 0;
}
