/**
 * GET /explain?name=NAME&type=TYPE[&proto=udp|tcp] on the metrics listener: "why this answer?". The query is run
 * through the real query path (see src/server/explain.ts) and the report is returned as JSON.
 *
 * - The block: the one a query to this prometheus block's port would reach (longest zone among
 *   the blocks on that port), exactly as the DNS listener picks it.
 * - The client: the HTTP client's address, so acl, whoami and pod-verified answers are those this
 *   client would get by DNS; nobody can explain a query "as" another source.
 * - Rate: explain runs real queries (a forward may go upstream), and the metrics port is often
 *   reachable from the whole cluster, so it is limited to RATE a second (bursts of BURST); above
 *   that it answers 429 with Retry-After.
 */
import type http from 'node:http';
import { typeByName } from '../../dns/mnemonics.ts';
import { fqdn, isValidName } from '../../dns/name.ts';
import type { ServerServices } from '../../plugin/contract.ts';

export const EXPLAIN_RATE = 5;
export const EXPLAIN_BURST = 5;

/** A token bucket: `rate` tokens a second, at most `burst` saved up. */
export class RateLimit {
  private tokens: number;
  private last = Date.now();
  private readonly rate: number;
  private readonly burst: number;
  constructor(rate: number, burst: number) { this.rate = rate; this.burst = burst; this.tokens = burst; }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body, null, 2)}\n`);
}

/** The /explain route of one prometheus block (its DNS port picks the server block). */
export function explainRoute(server: ServerServices, port: number, limit: RateLimit): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'use GET' }, { allow: 'GET' });
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.searchParams.get('name') ?? '';
    const typeText = (url.searchParams.get('type') ?? 'A').toUpperCase();
    const type = typeByName(typeText) ?? (/^TYPE(\d{1,5})$/.exec(typeText) ? Number(typeText.slice(4)) : undefined);
    if (name === '' || !isValidName(fqdn(name))) return send(res, 400, { error: `name: give a valid domain name, e.g. /explain?name=kubernetes.default.svc.cluster.local&type=A` });
    if (type === undefined || type < 1 || type > 65535) return send(res, 400, { error: `type: unknown query type "${typeText}"` });
    const protocol = url.searchParams.get('proto') ?? 'udp';
    if (protocol !== 'udp' && protocol !== 'tcp') return send(res, 400, { error: `proto: udp or tcp, not "${protocol}"` });
    if (!limit.take()) return send(res, 429, { error: `too many explain requests: at most ${EXPLAIN_RATE} a second` }, { 'retry-after': '1' });
    let from = req.socket.remoteAddress ?? '127.0.0.1';
    if (from.startsWith('::ffff:')) from = from.slice(7);
    const report = server.explain({ name, type, port, from, protocol });
    if (!report) return send(res, 503, { error: 'the server is not serving yet' });
    report.then((report) => send(res, 200, report), (e: unknown) => send(res, 500, { error: (e as Error).message }));
  };
}
