/** Helpers for unit tests of forward/cache/loop: real Corefile directives and hand-built Requests. */
import { parseCorefile } from '../../../src/corefile/index.ts';
import type { Directive } from '../../../src/corefile/types.ts';
import { decodeQuery, encodeQuery, type QueryOptions } from '../../../src/dns/codec.ts';
import { lowerName } from '../../../src/dns/name.ts';
import type { Logger, Request } from '../../../src/plugin/contract.ts';

/** The first directive of the only block of `. { LINE }` (LINE may contain a { block }). */
export function directive(text: string, file = '/tmp/Corefile'): Directive {
  const blocks = parseCorefile(`. {\n${text}\n}\n`, file, { env: {} });
  return blocks[0]!.directives[0]!;
}

export interface ReqOptions extends QueryOptions { protocol?: 'udp' | 'tcp'; remotePort?: number }

export function makeReq(name: string, type: number, o: ReqOptions = {}): Request {
  const wire = encodeQuery(name, type, o);
  const msg = decodeQuery(wire);
  const q = msg.questions[0]!;
  const protocol = o.protocol ?? 'udp';
  return {
    msg, question: q, qname: lowerName(q.name), qtype: q.type, qclass: q.class, zone: '.',
    protocol, remoteAddress: '127.0.0.1', remotePort: o.remotePort ?? 40000, localAddress: '127.0.0.1', localPort: 53,
    size: protocol === 'tcp' ? 65535 : msg.edns ? Math.max(512, msg.edns.udpSize) : 512,
    do: msg.edns?.do ?? false, wire, meta: new Map(),
  };
}

export function memLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`[INFO] ${m}`),
    warning: (m) => lines.push(`[WARNING] ${m}`),
    error: (m) => lines.push(`[ERROR] ${m}`),
    debug: (m) => lines.push(`[DEBUG] ${m}`),
  };
}
