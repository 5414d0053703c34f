/**
 * The two ends of the channels between a plugin's control side and its answering side: which end
 * a setup context is, and a channel typed by what the two ends agreed to send. Shared by
 * replicated() (control → answering), reporter() (answering → control) and plugins with a
 * request/answer protocol of their own (pprof, forward's nameserver hand-off).
 */
import type { Channel, SetupContext } from './contract.ts';

export type Ends = Pick<SetupContext, 'role' | 'channel'> & { readonly side?: SetupContext['side'] };

/**
 * Which end of a control → answering flow this context is (`upstream`: the control end), and
 * whether it is `alone`: a plugin set up alike everywhere in a single thread is both ends at once,
 * so nothing needs to be sent. The two parts of a plugin (src/plugin/parts.ts) are never alone:
 * in one thread they still talk over the plugin's channel, as they do across threads.
 */
export function endOf(ctx: Ends): { upstream: boolean; alone: boolean } {
  if (ctx.side) return { upstream: ctx.side === 'control', alone: false };
  return { upstream: ctx.role !== 'data', alone: ctx.role === 'single' };
}

/**
 * ctx.channel(name) with the types its two ends agreed on: this end sends `Out` and receives `In`
 * (the other end swaps them). The one place the cast from `unknown` is written: the types are a
 * promise between the two ends of one plugin, not checked on the wire.
 */
export function typedChannel<Out, In>(ctx: Pick<SetupContext, 'channel'>, name: string): Channel<Out, In> {
  return ctx.channel(name) as Channel<Out, In>;
}
