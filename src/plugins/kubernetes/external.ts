/**
 * The kubernetes plugin's side of k8s_external (CoreDNS's plugin/kubernetes/external.go and the
 * external half of ns.go): services by name in another zone — `SERVICE.NS.ZONE`,
 * `_PORT._PROTO.SERVICE.NS.ZONE`, and with `headless` `ENDPOINT.SERVICE.NS.ZONE` — answered with
 * their external addresses (spec.externalIPs and load balancer ingress), PTR for those
 * addresses, and the addresses of this server's own Service for the zone's NS glue.
 */
import { ptrToIp } from '../../dns/name.ts';
import { Rcode, Type } from '../../dns/types.ts';
import type { ExternalService } from '../../plugin/capabilities.ts';
import type { Backend } from './backend.ts';
import { trimZone } from './backend.ts';
import { isHeadless } from './records.ts';

function strip(s: string): string { return s.startsWith('_') ? s.slice(1) : s; }
function matches(want: string, have: string): boolean { return want === '' || want.toLowerCase() === have.toLowerCase(); }

export function external(b: Backend, name: string, zone: string, qtype: number, headless: boolean): { services: ExternalService[]; rcode: number } {
  const lzone = zone.toLowerCase();
  if (qtype === Type.PTR) {
    const ip = ptrToIp(name);
    if (ip !== undefined) {
      const services: ExternalService[] = [];
      for (const s of b.index.servicesWithExternalIP(ip)) {
        if (b.o.namespaces.size > 0 && !b.namespaceExposed(s.ns)) continue;
        services.push({ host: ip, port: 0, target: `${s.name}.${s.ns}`, ttl: b.o.ttl });
      }
      return { services, rcode: services.length > 0 ? Rcode.NOERROR : Rcode.NXDOMAIN };
    }
  }
  const segs = trimZone(name, lzone);
  let last = segs.length - 1;
  if (last < 0) return { services: [], rcode: Rcode.SERVFAIL };
  const namespace = segs[last]!;
  if (!b.namespaceExposed(namespace)) return { services: [], rcode: Rcode.NXDOMAIN };
  if (--last < 0) return { services: [], rcode: Rcode.NOERROR };
  const service = segs[last--]!;
  let port = '', protocol = '', endpoint = '';
  if (last === 0) {
    endpoint = strip(segs[0]!);
    last--;
  } else if (last === 1) {
    protocol = strip(segs[1]!);
    port = strip(segs[0]!);
    last -= 2;
  }
  if (last !== -1) return { services: [], rcode: Rcode.NXDOMAIN };
  const svc = b.index.service(service, namespace);
  const services: ExternalService[] = [];
  let rcode: number = Rcode.NXDOMAIN;
  const ttl = b.o.ttl;
  if (svc) {
    const svcName = `${svc.name}.${svc.ns}.${zone}`;
    if (headless && !svc.external && (isHeadless(svc) || endpoint !== '')) {
      for (const sl of b.index.slicesOf(svc.name, svc.ns)) {
        for (const a of sl.addresses) {
          const host = b.hostname(a);
          if (endpoint !== '' && endpoint.toLowerCase() !== host.toLowerCase()) continue;
          for (const p of sl.ports) {
            if (!matches(port, p.name) || !matches(protocol, p.protocol)) continue;
            rcode = Rcode.NOERROR;
            services.push({ host: a.ip, port: p.port, target: `${host}.${svcName}`, ttl });
          }
        }
      }
    } else {
      for (const ip of svc.external ?? []) {
        for (const p of svc.ports) {
          if (!matches(port, p.name) || !matches(protocol, p.protocol)) continue;
          rcode = Rcode.NOERROR;
          services.push({ host: ip, port: p.port, target: svcName, ttl });
        }
      }
    }
  }
  if (qtype === Type.PTR) return { services: [], rcode };
  return { services, rcode };
}

/**
 * The addresses of this server for the external zone (CoreDNS's nsAddrs with external set): the
 * external addresses of the Services whose endpoints are this server (with `headless`, a
 * headless one's endpoint addresses), else this server's own addresses.
 */
export function externalAddress(b: Backend, headless: boolean): string[] {
  const out: string[] = [];
  let found = false;
  const local = b.localAddresses();
  for (const ip of local) {
    for (const sl of b.index.slicesWithIP(ip)) {
      found = true;
      const svc = b.index.service(sl.service, sl.ns);
      if (!svc) continue;
      if (headless && isHeadless(svc)) for (const a of sl.addresses) out.push(a.ip);
      else out.push(...(svc.external ?? []));
    }
  }
  if (!found) out.push(...local);
  return [...new Set(out)];
}
