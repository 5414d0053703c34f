/**
 * Capabilities one plugin offers the others of its server block, as CoreDNS's interfaces that a
 * handler implements and another finds with dnsserver.GetConfig(c).Handler(name): the autopath
 * plugin asks `@kubernetes` for a client's search path (AutoPather), k8s_external asks the
 * kubernetes plugin for Services' external addresses (Externaler). A plugin finds its peer with
 * SetupContext.peer(name) and checks the capability with the guards below — plugins never import
 * each other's modules.
 */
import type { Plugin, Request } from './contract.ts';

/** CoreDNS's autopath.AutoPather. */
export interface AutoPather {
  /**
   * The search path for this query's client, each element lower-case absolute, ending with the
   * empty string (the bare name); undefined when no server-side search should happen.
   */
  autoPath(req: Request): string[] | undefined;
  /** Why autoPath can never answer with this configuration (e.g. pods not verified), or undefined. */
  autoPathUnavailable?(): string | undefined;
}

export function isAutoPather(p: Plugin | undefined): p is Plugin & AutoPather {
  return typeof (p as Partial<AutoPather> | undefined)?.autoPath === 'function';
}
