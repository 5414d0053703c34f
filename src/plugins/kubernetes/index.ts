/**
 * The `kubernetes` plugin: answers the Kubernetes DNS-Based Service Discovery specification
 * (1.1.0) for a cluster's Services, EndpointSlices and Pods, as CoreDNS's plugin of the same
 * name does. See README.md in this folder.
 */
import type { Directive } from '../../corefile/types.ts';
import type { PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { oncePerBlock } from '../../plugin/args.ts';
import { parseKubernetes } from './setup.ts';
import { KubernetesPlugin } from './plugin.ts';

export const definition: PluginDefinition = {
  name: 'kubernetes',
  setup(d: Directive, ctx: SetupContext) {
    const o = parseKubernetes(d, ctx.block.zones);
    oncePerBlock(ctx.shared, ctx.block, 'kubernetes', d);
    return new KubernetesPlugin(o, ctx);
  },
};
