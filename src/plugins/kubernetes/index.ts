/**
 * The `kubernetes` plugin: answers the Kubernetes DNS-Based Service Discovery specification
 * (1.1.0) for a cluster's Services, EndpointSlices and Pods, as CoreDNS's plugin of the same
 * name does. See README.md in this folder.
 *
 * @kubernetes/client-node takes over a second to load, so it is imported only when a Corefile
 * asks for an API connection (not for `manifests`, not in data-side workers, not at all otherwise).
 */
import type { Directive } from '../../corefile/types.ts';
import type { PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { oncePerBlock } from '../../plugin/args.ts';
import { parseKubernetes } from './setup.ts';
import { KubernetesPlugin, type SourceFactory } from './plugin.ts';
import { ManifestSource } from './manifests.ts';

export const definition: PluginDefinition = {
  name: 'kubernetes',
  async setup(d: Directive, ctx: SetupContext) {
    const o = parseKubernetes(d, ctx.block.zones);
    oncePerBlock(ctx.shared, ctx.block, 'kubernetes', d);
    let make: SourceFactory = () => { throw new Error('kubernetes: no source on the data side'); };
    if (ctx.role !== 'data') {
      if (o.manifests.length > 0) {
        make = (feed) => new ManifestSource(o, feed, ctx.log);
      } else {
        const [{ ApiSource }, { buildKubeConfig }] = await Promise.all([import('./api-source.ts'), import('./client.ts')]);
        const kc = buildKubeConfig(o);
        make = (feed) => new ApiSource(o, kc, feed, ctx.log);
      }
    }
    return new KubernetesPlugin(o, ctx, make);
  },
};
