/**
 * Declared placement: a plugin says which of its parts runs where, and never asks which thread it
 * is in. `parse` checks the directive in every thread (and under -validate), so each thread gives
 * the same FILE:LINE errors; then only the parts that belong in this thread are built:
 *
 *   export const definition = parts({
 *     name: 'health',
 *     oncePerBlock: true,                              // optional, checked by the generation
 *     parse(d) { ...; return { addr, lameduckMs }; },  // every thread
 *     control(cfg, ctx) { return { name: 'health', start() {...}, close() {...} }; },
 *   });
 *
 * - `control`: the process-wide part (side listeners, reload, probes, process-wide gauges): the
 *   control thread of a multi-threaded server, or the single thread. It answers no queries.
 * - `answering`: the part in every thread that answers queries (the workers, or the single thread).
 *
 * With both parts in one thread (a single-threaded server, or -validate) the plugin is the two
 * joined: the answering part serves, both start and close, and the capabilities it offers its
 * peers (src/plugin/capabilities.ts) are the answering part's (else the control part's), so
 * ctx.peer() finds them in every thread. The parts share nothing but what
 * `parse` returned: state goes control → answering through replicated(), reports go answering →
 * control through reporter() — in one thread exactly as across threads.
 */
import type { Directive } from '../corefile/types.ts';
import { CAPABILITY_METHODS } from './capabilities.ts';
import type { ControlPart, Placement, Plugin, PluginDefinition, SetupContext } from './contract.ts';

export interface PartsDefinition<C> {
  readonly name: string;
  readonly oncePerBlock?: boolean;
  /** Check the directive; every user error is thrown here (CorefileError.at), in every thread. */
  parse(directive: Directive, ctx: SetupContext): C;
  /** The control part, where process-wide work runs. */
  control?(cfg: C, ctx: SetupContext): ControlPart | Promise<ControlPart>;
  /** The answering part, in every thread that answers queries. */
  answering?(cfg: C, ctx: SetupContext): Plugin | Promise<Plugin>;
}

type Side = 'control' | 'answering';

/** The sides a thread of this role runs. */
export function sidesOf(role: SetupContext['role']): readonly Side[] {
  return role === 'single' ? ['control', 'answering'] : role === 'control' ? ['control'] : ['answering'];
}

/** Whether a plugin of this placement has anything to run in a thread of this role. */
export function runsIn(placement: Placement | undefined, role: SetupContext['role']): boolean {
  if (placement === undefined || placement === 'everywhere' || placement === 'split') return true;
  return sidesOf(role).includes(placement);
}

/** A plugin definition from its declared parts (see the module comment). */
export function parts<C>(def: PartsDefinition<C>): PluginDefinition {
  if (!def.control && !def.answering) throw new Error(`plugin ${def.name}: declare a control part, an answering part, or both`);
  const placement: Placement = def.control && def.answering ? 'split' : def.control ? 'control' : 'answering';
  return {
    name: def.name,
    placement,
    ...(def.oncePerBlock ? { oncePerBlock: true } : {}),
    setup(d, ctx) {
      const cfg = def.parse(d, ctx);
      const sides = sidesOf(ctx.role);
      const control = def.control && sides.includes('control') ? def.control(cfg, { ...ctx, side: 'control' }) : undefined;
      const build = (c: ControlPart | undefined): Plugin | Promise<Plugin> => {
        if (c?.serve) throw new Error(`plugin ${def.name}: its control part must not serve queries`);
        const answering = def.answering && sides.includes('answering') ? def.answering(cfg, { ...ctx, side: 'answering' }) : undefined;
        return answering instanceof Promise ? answering.then((a) => joined(def.name, c, a)) : joined(def.name, c, answering);
      };
      return control instanceof Promise ? control.then(build) : build(control);
    },
  };
}

/** One plugin from the parts that run in this thread; `{ name }` (inert) when none does. */
function joined(name: string, control: ControlPart | undefined, answering: Plugin | undefined): Plugin {
  if (!control) return answering ?? { name };
  if (!answering) return control;
  const both: Plugin = {
    name,
    async start() { await control.start?.(); await answering.start?.(); },
    async close() { await answering.close?.(); await control.close?.(); },
  };
  const serve = answering.serve?.bind(answering);
  const ready = control.ready || answering.ready ? () => (control.ready?.() ?? true) && (answering.ready?.() ?? true) : undefined;
  const out: Plugin = { ...both, ...(serve ? { serve } : {}), ...(ready ? { ready } : {}) };
  for (const m of CAPABILITY_METHODS) {
    const from = [answering, control].find((p) => typeof (p as unknown as Record<string, unknown>)[m] === 'function') as unknown as Record<string, (...a: unknown[]) => unknown> | undefined;
    if (from) (out as unknown as Record<string, unknown>)[m] = from[m]!.bind(from);
  }
  return out;
}
