/**
 * Builds a server block's query path: its plugins in CoreDNS's order, each calling the next.
 * The end of the chain answers SERVFAIL, as CoreDNS's plugin.NextOrFailure does when no plugin
 * is left ("no next plugin found").
 */
import type { Message } from '../dns/types.ts';
import { Rcode } from '../dns/types.ts';
import { replyTo } from '../dns/message.ts';
import type { Next, Plugin, Request, Result } from '../plugin/contract.ts';
import { WRITER } from '../plugin/contract.ts';
import { reportError } from '../plugin/errors.ts';

/** Key in Request.meta naming the plugin that produced the response (for the `plugin` metric label); defined in the SDK. */
export { WRITER };

const endOfChain: Next = (req) => replyTo(req.msg, Rcode.SERVFAIL);

/** What the last plugin reaches: SERVFAIL with CoreDNS's error "plugin/NAME: no next plugin found" (the errors plugin logs it). */
function endAfter(name: string): Next {
  return (req) => {
    reportError(req, new Error(`plugin/${name}: no next plugin found`));
    return replyTo(req.msg, Rcode.SERVFAIL);
  };
}

export function buildChain(plugins: readonly Plugin[], tagWriter: boolean): Next {
  let next: Next = endOfChain;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const p = plugins[i]!;
    if (!p.serve) continue;
    const after = next === endOfChain ? endAfter(p.name) : next;
    const serve = p.serve.bind(p);
    next = tagWriter ? (req) => tag(req, p.name, serve(req, after)) : (req) => serve(req, after);
  }
  return next;
}

/** Remember the innermost plugin that returned a given response. */
function tag(req: Request, name: string, r: Result): Result {
  if (r instanceof Promise) return r.then((m) => mark(req, name, m));
  return mark(req, name, r);
}

function mark(req: Request, name: string, m: Message): Message {
  const seen = req.meta.get(WRITER) as [Message, string] | undefined;
  if (!seen || seen[0] !== m) req.meta.set(WRITER, [m, name]);
  return m;
}

export function writerOf(req: Request, m: Message): string {
  const seen = req.meta.get(WRITER) as [Message, string] | undefined;
  return seen && seen[0] === m ? seen[1] : '';
}
