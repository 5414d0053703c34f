/**
 * Leaving a query unanswered. A CoreDNS plugin does it by returning without writing (acl's `drop`):
 * the client hears nothing and times out. Here a plugin returns `noResponse(req)` instead of a
 * response; the server then sends nothing — no datagram over UDP, no frame over TCP (the
 * connection stays open and its later queries are answered) — but still tells the response
 * observers (prometheus, log), with the NOERROR reply this message is and a size of 0, as
 * CoreDNS's recorders see a request nobody wrote to.
 *
 * A plugin that looks at what `next` returned must pass such a message on untouched (dns64 does).
 */
import { replyTo } from '../dns/message.ts';
import type { Message } from '../dns/types.ts';
import type { Request } from './contract.ts';

const unanswered = new WeakSet<Message>();

/** A result that tells the server to send nothing for `req`. */
export function noResponse(req: Request): Message {
  const m = replyTo(req.msg);
  unanswered.add(m);
  return m;
}

/** True for a message made by noResponse(): the server sends nothing. */
export function isNoResponse(m: Message): boolean {
  return unanswered.has(m);
}
