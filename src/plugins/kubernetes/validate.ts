/**
 * The names the API server would have refused, checked on objects read from manifests (files can
 * hold anything; a real API validates on write): a Service named `*`, `a.b` or with a newline would
 * otherwise become a DNS name of its own, or a wildcard. What Kubernetes' validation requires:
 *   Namespace names, endpoint hostnames          DNS-1123 labels  [a-z0-9]([-a-z0-9]*[a-z0-9])?, ≤ 63
 *   Service names                                DNS-1035 labels  [a-z]([-a-z0-9]*[a-z0-9])?, ≤ 63
 *   port names (Services, EndpointSlices)        IANA service names: ≤ 15 of [a-z0-9-], a letter,
 *                                                no leading, trailing or double hyphen
 *   port protocols                               TCP, UDP, SCTP
 * An object with a bad name or namespace is skipped; a bad port or endpoint hostname is dropped and
 * the rest of the object kept. Each problem is one line for the log.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);
export const isDns1035Label = (s: string): boolean => s.length <= 63 && DNS1035_LABEL.test(s);
export const isPortName = (s: string): boolean =>
  s.length <= 15 && /^[a-z0-9-]+$/.test(s) && /[a-z]/.test(s) && !s.startsWith('-') && !s.endsWith('-') && !s.includes('--');

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** A name as it may be printed: quoted, control characters escaped (a newline stays on one line). */
const q = (v: unknown): string => JSON.stringify(String(v));

interface Port { name?: string | null; protocol?: string | null }
interface Meta { name?: string; namespace?: string; labels?: Record<string, string> }
interface Obj { kind?: string; metadata?: Meta; spec?: { ports?: Port[] }; ports?: Port[] | null; endpoints?: { hostname?: string | null }[] | null }

function goodPorts(list: Port[] | null | undefined, what: string, problems: string[]): Port[] | null | undefined {
  if (!list) return list;
  return list.filter((p) => {
    if (p.name && !isPortName(p.name)) { problems.push(`${what}: port name ${q(p.name)} is not a valid port name — port skipped`); return false; }
    if (p.protocol && !PROTOCOLS.has(p.protocol)) { problems.push(`${what}: port protocol ${q(p.protocol)} is not TCP, UDP or SCTP — port skipped`); return false; }
    return true;
  });
}

/**
 * `obj` as it may be served (bad ports and hostnames removed), or undefined when it must be skipped;
 * `problems` gets one line per thing found.
 */
export function checkManifestObject<T extends Obj>(obj: T, problems: string[]): T | undefined {
  const m = obj.metadata ?? {};
  const name = m.name ?? '';
  const ns = m.namespace ?? 'default';
  const what = `${obj.kind} ${q(name)}${obj.kind === 'Namespace' ? '' : ` in namespace ${q(ns)}`}`;
  if (obj.kind === 'Namespace') {
    if (!isDns1123Label(name)) { problems.push(`${what}: name is not a valid DNS label — skipped`); return undefined; }
    return obj;
  }
  if (!isDns1123Label(ns)) { problems.push(`${what}: namespace is not a valid DNS label — skipped`); return undefined; }
  switch (obj.kind) {
    case 'Service': {
      if (!isDns1035Label(name)) { problems.push(`${what}: name is not a valid DNS label — skipped`); return undefined; }
      if (!obj.spec?.ports) return obj;
      return { ...obj, spec: { ...obj.spec, ports: goodPorts(obj.spec.ports, what, problems) } };
    }
    case 'EndpointSlice': {
      const svc = m.labels?.['kubernetes.io/service-name'];
      if (svc !== undefined && !isDns1035Label(svc)) { problems.push(`${what}: its Service name ${q(svc)} is not a valid DNS label — skipped`); return undefined; }
      const endpoints = obj.endpoints?.map((e) => {
        if (e.hostname && !isDns1123Label(e.hostname)) {
          problems.push(`${what}: endpoint hostname ${q(e.hostname)} is not a valid DNS label — hostname ignored`);
          return { ...e, hostname: undefined };
        }
        return e;
      });
      return { ...obj, endpoints, ports: goodPorts(obj.ports, what, problems) };
    }
    default:
      return obj;
  }
}
