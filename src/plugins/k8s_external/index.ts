/**
 * The `k8s_external` plugin: Services' external addresses (spec.externalIPs, load balancer
 * ingress) under another zone, as CoreDNS's plugin/k8s_external. See README.md in this folder.
 *
 * The data is the kubernetes plugin's of the same server block, reached once the whole block is
 * set up through the Externaler capability (src/plugin/capabilities.ts), never by importing that
 * plugin: each answering thread reads its own thread's kubernetes index. A block without a
 * kubernetes plugin is a FILE:LINE error, as in CoreDNS ("kubernetes plugin not loaded").
 */
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import type { Plugin, PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { isExternaler } from '../../plugin/capabilities.ts';
import { parseExternal } from './setup.ts';
import { External } from './external.ts';

export const definition: PluginDefinition = {
  name: 'k8s_external',
  oncePerBlock: true,
  setup(d: Directive, ctx: SetupContext): Plugin {
    const o = parseExternal(d, ctx.block.zones);
    let handler: External | undefined;
    const find = (): External => {
      const p = ctx.peer?.('kubernetes');
      if (!p) throw CorefileError.at(d, 'k8s_external: kubernetes plugin not loaded — add a kubernetes directive to this server block');
      if (!isExternaler(p)) throw CorefileError.at(d, 'k8s_external: kubernetes plugin does not implement the Externaler interface');
      return new External(o, p);
    };
    ctx.afterSetup?.(() => { handler = find(); });
    return { name: 'k8s_external', serve: (req, next) => (handler ??= find()).serve(req, next) };
  },
};
