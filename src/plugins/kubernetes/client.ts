/**
 * How the plugin reaches the API server, as CoreDNS decides it: `kubeconfig FILE [CONTEXT]`, else
 * `endpoint URL` (with `tls CERT KEY CACERT`), else the in-cluster service account. A plain
 * http:// server is marked skipTLSVerify, which @kubernetes/client-node 2.x requires before it
 * will talk to it at all.
 */
import { KubeConfig } from './client-lib.ts';
import { CorefileError } from '../../corefile/types.ts';
import type { KubernetesOptions } from './setup.ts';
import { readUserBytesSync, readUserFileSync, UserFileError } from '../../corefile/files.ts';
import { inlineKubeconfigFiles } from './kubeconfig-files.ts';

export function buildKubeConfig(o: Pick<KubernetesOptions, 'kubeconfig' | 'endpoint' | 'endpointAuth' | 'tls' | 'at'>, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (o.kubeconfig) {
    const { path, context, at } = o.kubeconfig;
    try {
      kc.loadFromString(readUserFileSync(path, 'kubeconfig'));
    } catch (e) {
      // Only the first line of a parser's message: the following ones quote the file (credentials).
      const why = e instanceof UserFileError ? e.message : `${path}: ${(e as Error).message.split('\n')[0]}`;
      throw CorefileError.at(at, `kubernetes: cannot load kubeconfig ${why} — check the path and that the file is a kubeconfig`);
    }
    if (context !== undefined) {
      if (!kc.getContextObject(context)) {
        throw CorefileError.at(at, `kubernetes: context "${context}" does not exist in ${path} — use one of: ${kc.getContexts().map((c) => c.name).join(', ') || '(none)'}`);
      }
      kc.setCurrentContext(context);
    }
    if (!kc.getCurrentCluster()) throw CorefileError.at(at, `kubernetes: kubeconfig ${path} has no current cluster — set current-context or give a CONTEXT`);
    inlineKubeconfigFiles(kc, path, at);
  } else if (o.endpoint) {
    // The TLS files are read here (checked, capped) and handed over as data, not as paths the
    // client library would read itself, unchecked.
    const pem = (f: string | undefined) => {
      if (f === undefined) return undefined;
      try { return readUserBytesSync(f, 'tls').toString('base64'); } catch (e) {
        throw CorefileError.at(o.at, `kubernetes: tls: ${e instanceof UserFileError ? e.message : `${f}: ${(e as Error).message}`}`);
      }
    };
    kc.loadFromClusterAndUser(
      { name: 'endpoint', server: o.endpoint, skipTLSVerify: false, caData: pem(o.tls?.ca) },
      { name: 'endpoint', certData: pem(o.tls?.cert), keyData: pem(o.tls?.key), username: o.endpointAuth?.username, password: o.endpointAuth?.password },
    );
  } else {
    if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
      throw CorefileError.at(o.at, 'kubernetes: unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined — run in a cluster, or add kubeconfig, endpoint or manifests');
    }
    kc.loadFromCluster();
  }
  return allowPlainHttp(kc);
}

/** Mark the current cluster skipTLSVerify when its server is http:// (there is no TLS to verify). */
function allowPlainHttp(kc: KubeConfig): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server.startsWith('http:') || cluster.skipTLSVerify) return kc;
  const fixed = new KubeConfig();
  fixed.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return fixed;
}
