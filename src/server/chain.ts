/**
 * Builds a server block's query path: its plugins in CoreDNS's order, each calling the next.
 * The end of the chain answers SERVFAIL, as CoreDNS's plugin.NextOrFailure does when no plugin
 * is left ("no next plugin found"). Each link says which plugin it hands the query to
 * (`next.plugin`), so a plugin never has to find out what follows it by itself (forward's `next`).
 *
 * The writer of a response (the `plugin` label of CoreDNS's response metrics, and what log
 * observers see) is the innermost plugin that returned it. A plugin that changes a response it got
 * from `next` does so with derive() (src/dns/message.ts); the chain sees the derivation and keeps
 * the original writer, so no plugin touches the bookkeeping.
 */
import { performance } from 'node:perf_hooks';
import type { Message } from '../dns/types.ts';
import { Rcode, typeName } from '../dns/types.ts';
import { originOf, replyTo } from '../dns/message.ts';
import type { Next, Plugin, Request, Result } from '../plugin/contract.ts';
import { reportError } from '../plugin/errors.ts';
import { isNoResponse } from '../plugin/noresponse.ts';
import type { TraceStep } from '../plugin/trace.ts';

/** Key in Request.meta under which the chain keeps `[response, plugin name]`: which plugin wrote the response. */
const WRITER = 'writer';

const endOfChain: Next = (req) => replyTo(req.msg, Rcode.SERVFAIL);

/** What the last plugin reaches: SERVFAIL with CoreDNS's error "plugin/NAME: no next plugin found" (the errors plugin logs it). */
function endAfter(name: string): Next {
  return (req) => {
    reportError(req, new Error(`plugin/${name}: no next plugin found`));
    return replyTo(req.msg, Rcode.SERVFAIL);
  };
}

/** A link of the chain: `fn` runs plugin `p`; `next.plugin` names p to the plugin before it. */
function link(p: Plugin, fn: (req: Request) => Result): Next {
  return Object.assign(fn, { plugin: p });
}

/**
 * Link the plugins that serve, last to first: `wrap` makes the link that runs plugin `p` (its
 * bound `serve`) with `after`, the rest of the chain (or the end that reports "no next plugin").
 */
function chainOf(plugins: readonly Plugin[], wrap: (p: Plugin, serve: (req: Request, next: Next) => Result, after: Next) => (req: Request) => Result): Next {
  let next: Next = endOfChain;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const p = plugins[i]!;
    if (!p.serve) continue;
    const after = next === endOfChain ? endAfter(p.name) : next;
    next = link(p, wrap(p, p.serve.bind(p), after));
  }
  return next;
}

export function buildChain(plugins: readonly Plugin[], tagWriter: boolean): Next {
  return chainOf(plugins, (p, serve, after) => (tagWriter ? (req) => tag(req, p.name, serve(req, after)) : (req) => serve(req, after)));
}

/** Remember the innermost plugin that returned a given response. */
function tag(req: Request, name: string, r: Result): Result {
  if (r instanceof Promise) return r.then((m) => mark(req, name, m));
  return mark(req, name, r);
}

function mark(req: Request, name: string, m: Message): Message {
  const seen = req.meta.get(WRITER) as [Message, string] | undefined;
  if (seen && seen[0] === m) return m;
  // Derived (derive()) from the response written further in: the same writer, a new message.
  if (seen && derivesFrom(m, seen[0])) req.meta.set(WRITER, [m, seen[1]]);
  else req.meta.set(WRITER, [m, name]);
  return m;
}

/** Whether `m` was derived, directly or over a few steps, from `from`. */
function derivesFrom(m: Message, from: Message): boolean {
  let o = originOf(m);
  for (let hops = 0; o !== undefined && hops < 8; hops++, o = originOf(o)) if (o === from) return true;
  return false;
}

export function writerOf(req: Request, m: Message): string {
  const seen = req.meta.get(WRITER) as [Message, string] | undefined;
  return seen && seen[0] === m ? seen[1] : '';
}

/**
 * The same chain, for an explained query (req.trace set): each plugin entered is recorded in the
 * trace with what it did — answered, called next (and whether it changed the answer on the way
 * back), rewrote the question it passed on. Built only when a query is explained, so the normal
 * chain above stays as it is.
 */
export function buildTracedChain(plugins: readonly Plugin[], tagWriter: boolean): Next {
  return chainOf(plugins, (p, serve, after) => (req) => {
    const step: TraceStep = { plugin: p.name, did: 'answered', nextCalls: 0, ms: 0 };
    const q = `${req.qname} ${typeName(req.qtype)}`;
    if (req.trace && q !== req.trace.asked) step.question = q;
    req.trace?.steps.push(step);
    const t0 = performance.now();
    const fromNext = new Set<Message>();
    const nextTraced: Next = Object.assign((r: Request) => {
      step.nextCalls++;
      if (r.qname !== req.qname || r.qtype !== req.qtype) step.rewrote = `${r.qname} ${typeName(r.qtype)}`;
      const res = after(r);
      if (res instanceof Promise) return res.then((m) => { fromNext.add(m); return m; });
      fromNext.add(res);
      return res;
    }, { plugin: after.plugin });
    const settle = (m: Message): Message => {
      step.ms = Math.round((performance.now() - t0) * 1000) / 1000;
      if (isNoResponse(m)) step.did = 'sent no answer';
      else if (step.nextCalls === 0) step.did = 'answered';
      else step.did = fromNext.has(m) ? 'called next' : 'called next, changed the answer';
      return m;
    };
    let r: Result;
    try {
      r = serve(req, nextTraced);
    } catch (e) {
      step.did = 'failed';
      throw e;
    }
    r = r instanceof Promise ? r.then(settle, (e: unknown) => { step.did = 'failed'; throw e; }) : settle(r);
    return tagWriter ? tag(req, p.name, r) : r;
  });
}


const traced = new WeakMap<{ readonly plugins: readonly Plugin[] }, Next>();

/** A block's traced chain, built on the first explained query of that block (and kept with it). */
export function tracedChainOf(block: { readonly plugins: readonly Plugin[]; readonly observers: readonly unknown[] }): Next {
  let c = traced.get(block);
  if (!c) { c = buildTracedChain(block.plugins, block.observers.length > 0); traced.set(block, c); }
  return c;
}
