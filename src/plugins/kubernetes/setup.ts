/**
 * Parsing the `kubernetes` directive, with CoreDNS's syntax and defaults (plugin/kubernetes/setup.go):
 *
 *   kubernetes [ZONES...] {
 *       endpoint URL
 *       tls CERT KEY CACERT
 *       kubeconfig KUBECONFIG [CONTEXT]
 *       apiserver_qps QPS | apiserver_burst BURST | apiserver_max_inflight MAX
 *       namespaces NAMESPACE...
 *       labels EXPRESSION
 *       namespace_labels EXPRESSION
 *       pods disabled|insecure|verified
 *       endpoint_pod_names
 *       ttl TTL
 *       noendpoints
 *       fallthrough [ZONES...]
 *       ignore empty_service
 *       startup_timeout DURATION
 *       manifests FILE|DIR...        (clusterdns: serve from YAML files instead of an API server)
 *   }
 *
 * Every user error is a CorefileError at the offending line.
 */
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { parseCidr, reverseZones } from '../../corefile/cidr.ts';
import { fqdn, lowerName } from '../../dns/name.ts';
import { Fallthrough, parseFallthrough } from '../../plugin/fallthrough.ts';
import { parseDuration } from '../../plugin/args.ts';
import { parseLabelSelector, type LabelSelector } from './labels.ts';
import { Kind } from './records.ts';
import { redactUserinfo, splitUserinfo } from './redact.ts';

export interface At { file: string; line: number }
export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface KubernetesOptions {
  zones: string[];               // lower-case absolute, reverse zones included
  primaryZone: string;           // the first non-reverse zone: PTR targets live there
  endpoint?: string;             // without userinfo: that is in endpointAuth (see redact.ts)
  endpointAuth?: { username: string; password: string };
  tls?: { cert: string; key: string; ca: string };
  kubeconfig?: { path: string; context?: string; at: At };
  apiserverQps?: number;
  apiserverBurst?: number;
  apiserverMaxInflight?: number;
  namespaces: Set<string>;       // empty: all namespaces are exposed
  labels?: LabelSelector;
  namespaceLabels?: LabelSelector;
  podMode: PodMode;
  endpointPodNames: boolean;
  ttl: number;
  noEndpoints: boolean;
  fallthrough: Fallthrough;
  ignoreEmptyService: boolean;
  startupTimeoutMs: number;
  manifests: string[];           // files or directories; non-empty selects the manifests source
  at: At;                        // the directive, for errors found after parsing
}

export const DEFAULT_TTL = 5;
export const DEFAULT_STARTUP_TIMEOUT_MS = 5_000;

export const OPTIONS = [
  'endpoint', 'tls', 'kubeconfig', 'apiserver_qps', 'apiserver_burst', 'apiserver_max_inflight',
  'namespaces', 'labels', 'namespace_labels', 'pods', 'endpoint_pod_names', 'ttl', 'noendpoints',
  'fallthrough', 'ignore', 'startup_timeout', 'manifests',
] as const;

export function isReverseZone(z: string): boolean {
  return z.endsWith('.in-addr.arpa.') || z.endsWith('.ip6.arpa.') || z === 'in-addr.arpa.' || z === 'ip6.arpa.';
}

/** A zone argument: a domain, or a CIDR that stands for its reverse zones (as CoreDNS's plugin.Host). */
function zonesOf(d: Directive, z: string): string[] {
  if (z.includes('/')) {
    const c = parseCidr(z);
    if (!c) throw CorefileError.at(d, `kubernetes: "${z}" is not a valid CIDR — write a zone such as cluster.local or a network such as 10.0.0.0/16`);
    return reverseZones(c);
  }
  return [lowerName(fqdn(z))];
}

function args(o: Directive, min: number, max: number, usage: string): string[] {
  if (o.args.length < min || o.args.length > max) {
    throw CorefileError.at(o, `kubernetes: wrong argument count for '${o.name}' — usage: ${usage}`);
  }
  return o.args;
}

function positive(o: Directive, s: string, integer: boolean): number {
  const n = Number(s);
  const ok = integer ? /^\d+$/.test(s) : /^\d+(\.\d+)?$/.test(s);
  if (!ok || !(n > 0)) throw CorefileError.at(o, `kubernetes: ${o.name} must be a positive ${integer ? 'integer' : 'number'}, got "${s}"`);
  return n;
}

function selector(o: Directive): LabelSelector {
  const text = args(o, 1, Infinity, `${o.name} EXPRESSION`).join(' ');
  try {
    return parseLabelSelector(text);
  } catch (e) {
    throw CorefileError.at(o, `kubernetes: unable to parse label selector value: '${text}': ${(e as Error).message} — use key=value, key!=value, key in (a,b), key notin (a,b), key or !key, comma separated`);
  }
}

export function parseKubernetes(d: Directive, blockZones: readonly string[]): KubernetesOptions {
  const zones = (d.args.length > 0 ? d.args : blockZones).flatMap((z) => zonesOf(d, z));
  const primaryZone = zones.find((z) => !isReverseZone(z));
  if (primaryZone === undefined) {
    throw CorefileError.at(d, 'kubernetes: non-reverse zone name must be used — add a zone such as cluster.local');
  }
  const o: KubernetesOptions = {
    zones, primaryZone,
    namespaces: new Set(), podMode: 'disabled', endpointPodNames: false, ttl: DEFAULT_TTL,
    noEndpoints: false, fallthrough: Fallthrough.none, ignoreEmptyService: false,
    startupTimeoutMs: DEFAULT_STARTUP_TIMEOUT_MS, manifests: [], at: { file: d.file, line: d.line },
  };
  for (const opt of d.block ?? []) {
    switch (opt.name) {
      case 'endpoint_pod_names':
        args(opt, 0, 0, 'endpoint_pod_names');
        o.endpointPodNames = true;
        break;
      case 'pods': {
        const [mode] = args(opt, 1, 1, 'pods disabled|insecure|verified');
        if (mode !== 'disabled' && mode !== 'insecure' && mode !== 'verified') {
          throw CorefileError.at(opt, `kubernetes: wrong value for pods: ${mode}, must be one of: disabled, verified, insecure`);
        }
        o.podMode = mode;
        break;
      }
      case 'namespaces':
        for (const n of args(opt, 1, Infinity, 'namespaces NAMESPACE...')) o.namespaces.add(n);
        break;
      case 'endpoint': {
        const urls = args(opt, 1, Infinity, 'endpoint URL');
        if (!/^https?:\/\/[^/\s]+/.test(urls[0]!)) {
          throw CorefileError.at(opt, `kubernetes: endpoint "${redactUserinfo(urls[0]!)}" is not a URL — write it as https://HOST:PORT or http://HOST:PORT`);
        }
        const { url, auth } = splitUserinfo(urls[0]!.replace(/\/+$/, ''));
        o.endpoint = url;
        if (auth) o.endpointAuth = auth;
        break;
      }
      case 'tls': {
        const [cert, key, ca] = args(opt, 3, 3, 'tls CERT KEY CACERT');
        o.tls = { cert: cert!, key: key!, ca: ca! };
        break;
      }
      case 'kubeconfig': {
        const [path, context] = args(opt, 1, 2, 'kubeconfig KUBECONFIG [CONTEXT]');
        o.kubeconfig = { path: path!, context, at: { file: opt.file, line: opt.line } };
        break;
      }
      case 'apiserver_qps': o.apiserverQps = positive(opt, args(opt, 1, 1, 'apiserver_qps QPS')[0]!, false); break;
      case 'apiserver_burst': o.apiserverBurst = positive(opt, args(opt, 1, 1, 'apiserver_burst BURST')[0]!, true); break;
      case 'apiserver_max_inflight': o.apiserverMaxInflight = positive(opt, args(opt, 1, 1, 'apiserver_max_inflight MAX')[0]!, true); break;
      case 'labels': o.labels = selector(opt); break;
      case 'namespace_labels': o.namespaceLabels = selector(opt); break;
      case 'fallthrough': o.fallthrough = parseFallthrough(opt.args); break;
      case 'ttl': {
        const [t] = args(opt, 1, 1, 'ttl TTL');
        if (!/^-?\d+$/.test(t!)) throw CorefileError.at(opt, `kubernetes: ttl must be a whole number of seconds, got "${t}"`);
        const n = Number(t);
        if (n < 0 || n > 3600) throw CorefileError.at(opt, `kubernetes: ttl must be in range [0, 3600]: ${n}`);
        o.ttl = n;
        break;
      }
      case 'noendpoints':
        args(opt, 0, 0, 'noendpoints');
        o.noEndpoints = true;
        break;
      case 'ignore': {
        const [what] = args(opt, 1, 1, 'ignore empty_service');
        if (what !== 'empty_service') throw CorefileError.at(opt, `kubernetes: unable to parse ignore value: '${what}' — the only value is empty_service`);
        o.ignoreEmptyService = true;
        break;
      }
      case 'startup_timeout': {
        const [t] = args(opt, 1, 1, 'startup_timeout DURATION');
        o.startupTimeoutMs = parseDuration(opt, t!, 'startup timeout');
        break;
      }
      case 'manifests':
        o.manifests.push(...args(opt, 1, Infinity, 'manifests FILE|DIR...'));
        break;
      default:
        throw CorefileError.at(opt, `kubernetes: unknown property '${opt.name}' — expected one of: ${OPTIONS.join(', ')}`);
    }
  }
  if (o.namespaces.size > 0 && o.namespaceLabels) {
    throw CorefileError.at(d, 'kubernetes: namespaces and namespace_labels cannot both be set — keep one of them');
  }
  if (o.manifests.length > 0 && (o.endpoint || o.kubeconfig)) {
    throw CorefileError.at(d, 'kubernetes: manifests cannot be combined with endpoint or kubeconfig — serve either from files or from an API server');
  }
  return o;
}

/** The kinds a configuration needs listed before it counts as synced. */
export function requiredKinds(o: KubernetesOptions): Kind[] {
  const kinds: Kind[] = [Kind.Service, Kind.Namespace];
  if (!o.noEndpoints) kinds.push(Kind.Slice);
  if (o.podMode === 'verified') kinds.push(Kind.Pod);
  return kinds;
}
