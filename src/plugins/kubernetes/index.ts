/**
 * The `kubernetes` plugin: answers the Kubernetes DNS-Based Service Discovery specification
 * (1.1.0) for a cluster's Services, EndpointSlices and Pods, as CoreDNS's plugin of the same
 * name does. See README.md in this folder.
 *
 * Two parts (src/plugin/parts.ts): the control part (control.ts) runs the source and speaks for
 * the process; the answering part (plugin.ts) answers queries. In one thread the answering part
 * serves the control part's live index: `parse` returns the holder `here` that the control part
 * fills and the answering part of the same thread takes (control is built first). In workers the
 * answering parts read the cluster images the control part publishes.
 *
 * @kubernetes/client-node takes over a second to load, so it is imported only when a Corefile
 * asks for an API connection (not for `manifests`, not in answering threads, not at all otherwise).
 *
 * Under -validate (ctx.mode 'validate') nothing connects: a kubeconfig is read and its context
 * checked, manifest paths must exist, and what only a cluster can confirm (credentials, API
 * reachability) is reported through ctx.notChecked instead of failing.
 */
import { existsSync } from 'node:fs';
import { CorefileError } from '../../corefile/types.ts';
import type { SetupContext } from '../../plugin/contract.ts';
import { parts } from '../../plugin/parts.ts';
import { KubernetesControl, type Here } from './control.ts';
import { ManifestSource } from './manifests.ts';
import { KubernetesAnswering, type SourceFactory } from './plugin.ts';
import { redactingLogger } from './redact.ts';
import { parseKubernetes, type KubernetesOptions } from './setup.ts';

export const definition = parts({
  name: 'kubernetes',
  oncePerBlock: true,
  parse: (d, ctx) => ({ o: parseKubernetes(d, ctx.block.zones), here: {} as Here }),
  async control({ o, here }, ctx) {
    if (ctx.mode === 'validate') {
      await validateOffline(o, ctx);
      return new KubernetesControl(o, ctx, undefined, here);
    }
    return new KubernetesControl(o, ctx, await sourceFactory(o, ctx), here);
  },
  answering: ({ o, here }, ctx) => new KubernetesAnswering(o, ctx, here.live?.()),
});

/** How the control part builds its source: manifests, or the API (its client loaded only now). */
async function sourceFactory(o: KubernetesOptions, ctx: SetupContext): Promise<SourceFactory> {
  if (o.manifests.length > 0) return (feed) => new ManifestSource(o, feed, redactingLogger(ctx.log));
  const [{ ApiSource }, { buildKubeConfig }] = await Promise.all([import('./api-source.ts'), import('./client.ts')]);
  const kc = buildKubeConfig(o);
  return (feed) => new ApiSource(o, kc, feed, redactingLogger(ctx.log));
}

/** What -validate checks of the API connection without opening it. */
async function validateOffline(o: KubernetesOptions, ctx: SetupContext): Promise<void> {
  if (o.manifests.length > 0) {
    for (const p of o.manifests) {
      if (!existsSync(p)) throw CorefileError.at(o.at, `kubernetes: manifests path ${p} does not exist — give existing files or directories`);
    }
    return;
  }
  if (o.kubeconfig || o.endpoint) {
    const { buildKubeConfig } = await import('./client.ts');
    buildKubeConfig(o);   // reads the kubeconfig and checks its context; connects to nothing
    ctx.notChecked?.(o.kubeconfig
      ? 'API reachability and the kubeconfig\'s credentials not checked (offline validation)'
      : 'credentials and API reachability not checked (offline validation)');
    return;
  }
  ctx.notChecked?.('in-cluster credentials and API reachability not checked (offline validation)');
}
