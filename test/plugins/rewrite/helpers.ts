// Requests and a recording `next` for rewrite's unit tests (what the server would hand the plugin).
import { decode, encode, encodeQuery } from '../../../src/dns/codec.ts';
import type { EdnsOption, Message, ResourceRecord } from '../../../src/dns/types.ts';
import type { Next, Request } from '../../../src/plugin/contract.ts';
import { RewritePlugin } from '../../../src/plugins/rewrite/index.ts';
import { parseRule } from '../../../src/plugins/rewrite/rules.ts';

export interface ReqOptions { cls?: number; options?: EdnsOption[]; edns?: boolean; remote?: string; local?: string; do?: boolean }

export function request(name: string, type: number, o: ReqOptions = {}): Request {
  const withEdns = o.edns || o.options !== undefined || o.do;
  const msg: Message = decode(encodeQuery(name, type, { qclass: o.cls ?? 1, ...(withEdns ? { udpSize: 4096, do: o.do ?? false } : {}) }));
  if (o.options && msg.edns) msg.edns.options = o.options.map((x) => ({ ...x }));
  const wire = encode(msg);
  return {
    msg, question: msg.questions[0]!, qname: name.toLowerCase(), qtype: type, qclass: o.cls ?? 1, zone: '.',
    protocol: 'udp', remoteAddress: o.remote ?? '10.240.0.1', remotePort: 40212,
    localAddress: o.local ?? '127.0.0.1', localPort: 53, size: 512, do: o.do ?? false, wire, meta: new Map(),
  };
}

/**
 * CoreDNS's mockDnsResponder: records the request it sees and answers with one A record (TTL 300)
 * owned by the question name — or with `answers(req)` when given.
 */
export function responder(answers?: (req: Request) => ResourceRecord[]): Next & { seen: Request[] } {
  const seen: Request[] = [];
  const fn = (req: Request): Message => {
    seen.push(req);
    const q = req.question;
    const rrs = answers ? answers(req) : [{ name: q.name, type: 1, class: q.class, ttl: 300, data: { address: '127.0.0.1' } }];
    return {
      ...req.msg, qr: true, questions: [{ ...q }], answers: rrs, authority: [], additional: [],
      edns: req.msg.edns ? { ...req.msg.edns, options: req.msg.edns.options.slice() } : undefined,
    };
  };
  return Object.assign(fn, { seen });
}

/** A rewrite plugin from rule lines as written after `rewrite` (each a list of words). */
export function plugin(...rules: string[][]): RewritePlugin {
  const lines: string[] = [];
  return new RewritePlugin(rules.map((r) => parseRule(r)), {
    info: (m) => lines.push(m), warning: (m) => lines.push(m), error: (m) => lines.push(m), debug: () => {},
  });
}

export async function serve(p: RewritePlugin, req: Request, next: Next): Promise<Message> {
  return await p.serve(req, next);
}
