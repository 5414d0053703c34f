/**
 * The files a kubeconfig names for its current cluster and user (certificate-authority,
 * client-certificate, client-key) are read here, once, through readUserBytesSync (regular files
 * only, capped, never blocking on a FIFO) and handed to the client library as data. Left as paths,
 * the library would read them itself with fs.readFileSync on every request, unchecked: a FIFO there
 * would block the thread that owns the watches. Relative paths are taken from the kubeconfig's
 * directory, as kubectl and the library's loadFromFile do.
 * A `server` URL with `user:password@` becomes basic auth, as for `endpoint` (see redact.ts).
 */
import { dirname, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { readUserBytesSync, UserFileError } from '../../corefile/files.ts';
import { CorefileError } from '../../corefile/types.ts';
import { splitUserinfo } from './redact.ts';
import type { At } from './setup.ts';

export function inlineKubeconfigFiles(kc: KubeConfig, path: string, at: At): void {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const read = (f: string, what: string): string => {
    try {
      return readUserBytesSync(resolve(dirname(path), f), 'tls').toString('base64');
    } catch (e) {
      const why = e instanceof UserFileError ? e.message : `${f}: ${(e as Error).message}`;
      throw CorefileError.at(at, `kubernetes: kubeconfig ${path}: ${what}: ${why}`);
    }
  };
  const { url, auth } = cluster ? splitUserinfo(cluster.server) : { url: '', auth: undefined };
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c !== cluster ? c
      : { ...c, server: url, caFile: undefined, caData: c.caFile ? read(c.caFile, 'certificate-authority') : c.caData })),
    users: kc.users.map((u) => (u !== user ? u : {
      ...u, certFile: undefined, keyFile: undefined,
      certData: u.certFile ? read(u.certFile, 'client-certificate') : u.certData,
      keyData: u.keyFile ? read(u.keyFile, 'client-key') : u.keyData,
      ...(auth && !u.username ? auth : {}),
    })),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
}
