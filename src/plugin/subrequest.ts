/**
 * A request for another name or type, made from one the server received, for plugins that look
 * something up through the rest of the chain before they answer (autopath's search steps,
 * k8s_external's load balancer hostnames) — as CoreDNS's plugins do with a copied dns.Msg.
 * The copy has its own wire bytes and its own `meta`, so nothing a later plugin notes about it
 * (the writer, reported errors) is mixed up with the original request.
 */
import { encode } from '../dns/codec.ts';
import { lowerName } from '../dns/name.ts';
import type { Message } from '../dns/types.ts';
import type { Request } from './contract.ts';

export function subRequest(req: Request, name: string, qtype: number = req.qtype): Request {
  const question = { name, type: qtype, class: req.qclass };
  const msg: Message = { ...req.msg, questions: [question], answers: [], authority: [], additional: [] };
  return { ...req, msg, question, qname: lowerName(name), qtype, wire: encode(msg), meta: new Map() };
}
