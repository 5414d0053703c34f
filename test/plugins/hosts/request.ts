// A hand-built Request for unit tests of plugins' serve(): what the server would hand a plugin.
import { encodeQuery, decode } from '../../../src/dns/codec.ts';
import { Class, type Message } from '../../../src/dns/types.ts';
import type { Directive } from '../../../src/corefile/types.ts';
import type { Next, Request } from '../../../src/plugin/contract.ts';

export function request(name: string, type: number, zone = '.'): Request {
  const wire = encodeQuery(name, type);
  const msg: Message = decode(wire);
  return {
    msg, question: msg.questions[0]!, qname: name.toLowerCase().endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`,
    qtype: type, qclass: Class.IN, zone, protocol: 'udp', remoteAddress: '127.0.0.1', remotePort: 5353,
    localAddress: '127.0.0.1', localPort: 53, size: 512, do: false, wire, meta: new Map(),
  };
}

/** A `next` that records that it was called and answers REFUSED (so a fall-through is visible). */
export function recordingNext(): Next & { calls: number } {
  const fn = Object.assign((req: Request): Message => {
    fn.calls++;
    return { ...req.msg, qr: true, rcode: 5, answers: [], authority: [], additional: [] };
  }, { calls: 0 });
  return fn;
}

/** A directive as the Corefile parser produces it. */
export function directive(name: string, args: string[], block: Array<[string, ...string[]]> | null = null): Directive {
  return {
    name, args, file: 'Corefile', line: 2,
    block: block && block.map(([n, ...a], i) => ({ name: n, args: a, file: 'Corefile', line: 3 + i, block: null })),
  };
}
