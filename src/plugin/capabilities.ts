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

/** One address k8s_external answers with (CoreDNS's msg.Service as External returns it). */
export interface ExternalService {
  /** An IP address, or a hostname (a load balancer's; answered as a CNAME). */
  host: string;
  /** The port, -1 when the service declares none (no SRV record then). */
  port: number;
  /** The SRV target: SERVICE.NS.ZONE, or ENDPOINT.SERVICE.NS.ZONE for a headless endpoint; for PTR the pointed-to SERVICE.NS. */
  target: string;
  /** The TTL of the plugin that holds the data. */
  ttl: number;
}

/** CoreDNS's external.Externaler: what k8s_external asks the kubernetes plugin of its block. */
export interface Externaler {
  /**
   * The external addresses for `name` (lower-case absolute) in `zone` (as asked): rcode 0 with
   * services, 0 without (the name exists, e.g. a namespace), 3 (NXDOMAIN) or 2 (SERVFAIL). With
   * `headless`, headless services without external addresses answer with their endpoints.
   */
  external(name: string, zone: string, qtype: number, headless: boolean): { services: ExternalService[]; rcode: number };
  /** This DNS server's own external addresses (for the NS glue of the apex). */
  externalAddress(zone: string, headless: boolean): string[];
  /** The SOA serial: when a service with external addresses last changed (Unix seconds). */
  externalSerial(zone: string): number;
  /** Resolves once the data is complete enough to answer (first sync, or its startup timeout); null when it already is. */
  externalReady?(): Promise<void> | null;
}

/**
 * Every capability method above. A plugin with declared parts (parts.ts) offers, in one thread,
 * the methods its answering part has (else its control part's): the joined plugin carries them.
 */
export const CAPABILITY_METHODS = ['autoPath', 'autoPathUnavailable', 'external', 'externalAddress', 'externalSerial', 'externalReady'] as const satisfies readonly (keyof AutoPather | keyof Externaler)[];

export function isExternaler(p: Plugin | undefined): p is Plugin & Externaler {
  return typeof (p as Partial<Externaler> | undefined)?.external === 'function';
}
