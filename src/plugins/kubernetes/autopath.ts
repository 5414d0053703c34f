/**
 * The kubernetes plugin's side of autopath (CoreDNS's plugin/kubernetes/autopath.go): from the
 * client's source address, the Running pod with that IP (the Pod index of `pods verified`), and
 * from its namespace the search path kubelet wrote into that pod's resolv.conf —
 * `NS.svc.ZONE`, `svc.ZONE`, `ZONE` — followed by the search domains of this server's own
 * /etc/resolv.conf (kubelet appends the node's), and the empty string for the bare name.
 */
import type { Request } from '../../plugin/contract.ts';
import type { ClusterView } from './cluster-view.ts';
import { matchZone } from '../../dns/name.ts';
import type { KubernetesOptions } from './setup.ts';

/** The pod's search path for `req`, or undefined (not our zone, no verified pods, unknown client). */
export function podSearchPath(o: KubernetesOptions, index: ClusterView, hostSearch: readonly string[], req: Request): string[] | undefined {
  const zone = matchZone(o.zones, req.qname);
  if (zone === undefined || o.podMode !== 'verified') return undefined;
  let ip = req.remoteAddress;
  if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
  const pod = index.podsWithIP(ip).find((p) => p.running);
  if (!pod) return undefined;
  const ns = pod.ns.toLowerCase();
  const search = zone === '.'
    ? [`${ns}.svc.`, 'svc.', '.']
    : [`${ns}.svc.${zone}`, `svc.${zone}`, zone];
  return [...search, ...hostSearch, ''];
}
