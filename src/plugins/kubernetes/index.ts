/**
 * The `kubernetes` plugin: answers the Kubernetes DNS-Based Service Discovery specification
 * (1.1.0) for a cluster's Services, EndpointSlices and Pods, as CoreDNS's plugin of the same
 * name does. See README.md in this folder.
 *
 * @kubernetes/client-node takes over a second to load, so it is imported only when a Corefile
 * asks for an API connection (not for `manifests`, not in data-side workers, not at all otherwise).
 *
 * Under -validate (ctx.mode 'validate') nothing connects: a kubeconfig is read and its context
 * checked, manifest paths must exist, and what only a cluster can confirm (credentials, API
 * reachability) is reported through ctx.notChecked instead of failing.
 */
import { existsSync } from 'node:fs';
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import type { PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { oncePerBlock } from '../../plugin/args.ts';
import { parseKubernetes, type KubernetesOptions } from './setup.ts';
import { KubernetesPlugin, type SourceFactory } from './plugin.ts';
import { ManifestSource } from './manifests.ts';
import { redactingLogger } from './redact.ts';

export const definition: PluginDefinition = {
  name: 'kubernetes',
  async setup(d: Directive, ctx: SetupContext) {
    const o = parseKubernetes(d, ctx.block.zones);
    oncePerBlock(ctx.shared, ctx.block, 'kubernetes', d);
    let make: SourceFactory = () => { throw new Error('kubernetes: no source on the data side'); };
    if (ctx.mode === 'validate') {
      await validateOffline(o, ctx);
      return new KubernetesPlugin(o, ctx, undefined);
    }
    if (ctx.role !== 'data') {
      if (o.manifests.length > 0) {
        make = (feed) => new ManifestSource(o, feed, redactingLogger(ctx.log));
      } else {
        const [{ ApiSource }, { buildKubeConfig }] = await Promise.all([import('./api-source.ts'), import('./client.ts')]);
        const kc = buildKubeConfig(o);
        make = (feed) => new ApiSource(o, kc, feed, redactingLogger(ctx.log));
      }
    }
    return new KubernetesPlugin(o, ctx, make);
  },
};

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
