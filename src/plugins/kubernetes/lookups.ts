/**
 * What the kubernetes plugin offers the other plugins of its server block (src/plugin/capabilities.ts):
 * search paths for autopath (AutoPather) and external addresses for k8s_external (Externaler),
 * read from a ClusterView through a Backend. Both parts of the plugin carry them, so that
 * ctx.peer('kubernetes') passes autopath's and k8s_external's checks in every thread: the
 * answering part reads what it answers from (the live index in one thread, the latest cluster
 * image in a worker); the control part of a multi-threaded server, which answers no queries,
 * reads the latest image it built.
 */
import type { Request } from '../../plugin/contract.ts';
import type { AutoPather, Externaler, ExternalService } from '../../plugin/capabilities.ts';
import { readSearchDomains } from '../../plugin/resolv-conf.ts';
import { podSearchPath } from './autopath.ts';
import { Backend } from './backend.ts';
import type { ClusterView } from './cluster-view.ts';
import { external, externalAddress } from './external.ts';
import { localIPs } from './local.ts';
import type { KubernetesOptions } from './setup.ts';
import type { SyncGate } from './sync-gate.ts';

/** The node's own search domains, appended to a pod's search path (CoreDNS's searchFromResolvConf). */
function hostSearchDomains(): string[] {
  try { return readSearchDomains('/etc/resolv.conf'); } catch { return []; }
}

export abstract class KubernetesLookups implements AutoPather, Externaler {
  readonly name = 'kubernetes';
  readonly o: KubernetesOptions;
  readonly backend: Backend;
  private hostSearch: string[] | undefined;

  constructor(o: KubernetesOptions, index: ClusterView, listenAddresses: () => readonly string[]) {
    this.o = o;
    let ips: string[] | undefined;
    this.backend = new Backend(o, index, () => (ips ??= localIPs(listenAddresses())));
  }

  /** The gate the answers wait on (first sync or startup_timeout). */
  protected abstract readonly gate: SyncGate;

  /** Bring backend.index up to date before a lookup (the control part's latest image); a no-op by default. */
  protected refresh(): void {}

  /** What lookups read now (the live index, or the current cluster image). */
  get index(): ClusterView { this.refresh(); return this.backend.index; }

  /** For autopath: the search path of the pod that sent `req` (AutoPather). */
  autoPath(req: Request): string[] | undefined {
    return podSearchPath(this.o, this.index, this.hostSearch ??= hostSearchDomains(), req);
  }

  autoPathUnavailable(): string | undefined {
    return this.o.podMode === 'verified' ? undefined : 'needs the kubernetes plugin\'s `pods verified` (autopath finds the client\'s namespace from its pod IP)';
  }

  /** For k8s_external (Externaler). */
  external(name: string, zone: string, qtype: number, headless: boolean): { services: ExternalService[]; rcode: number } {
    this.refresh();
    return external(this.backend, name, zone, qtype, headless);
  }

  externalAddress(_zone: string, headless: boolean): string[] {
    this.refresh();
    return externalAddress(this.backend, headless);
  }

  externalSerial(_zone: string): number { return this.index.externalModified >>> 0; }

  externalReady(): Promise<void> | null {
    return this.gate.open ? null : this.gate.wait();
  }
}
