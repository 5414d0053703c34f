/**
 * CoreDNS's plugin.cfg order: the one order in which plugins run, whatever order a Corefile
 * writes them in. Every plugin sees the effects of the plugins after it. Names here that have no
 * folder under src/plugins are CoreDNS plugins clusterdns does not implement; a Corefile that uses
 * one gets a clear "not supported" error instead of "unknown directive".
 */
export const PLUGIN_ORDER: readonly string[] = [
  'root', 'metadata', 'geoip', 'cancel', 'tls', 'timeouts', 'multisocket', 'reload', 'nsid', 'bufsize',
  'bind', 'debug', 'trace', 'ready', 'health', 'pprof', 'prometheus', 'errors', 'log', 'dnstap', 'local',
  'dns64', 'acl', 'any', 'chaos', 'loadbalance', 'tsig', 'cache', 'rewrite', 'header', 'dnssec',
  'autopath', 'minimal', 'template', 'transfer', 'hosts', 'route53', 'azure', 'clouddns', 'k8s_external',
  'kubernetes', 'file', 'auto', 'secondary', 'etcd', 'loop', 'forward', 'grpc', 'erratic', 'whoami',
  'on', 'sign', 'view',
];

const rank = new Map(PLUGIN_ORDER.map((n, i) => [n, i]));

/** Position of a directive in the execution order, or undefined if CoreDNS has no such plugin. */
export function orderOf(name: string): number | undefined { return rank.get(name); }
