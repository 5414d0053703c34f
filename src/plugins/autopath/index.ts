/**
 * The `autopath` plugin: server-side search path completion (CoreDNS's plugin/autopath). See
 * README.md in this folder; the walk itself is in autopath.ts, the directive in setup.ts.
 *
 * With `@PLUGIN` the search path comes, per query, from that plugin of the same server block,
 * found once the whole block is set up (CoreDNS does this in OnStartup) through the AutoPather
 * capability (src/plugin/capabilities.ts) — never by importing the plugin. A block without that
 * plugin, a plugin that cannot give search paths, or `@kubernetes` without `pods verified` is a
 * FILE:LINE error rather than an autopath that silently never fires.
 */
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import type { Plugin, PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { isAutoPather, type AutoPather } from '../../plugin/capabilities.ts';
import { parseAutopath } from './setup.ts';
import { Autopath, type SearchPath } from './autopath.ts';
import { autopathSuccess } from './metrics.ts';

export const definition: PluginDefinition = {
  name: 'autopath',
  oncePerBlock: true,
  setup(d: Directive, ctx: SetupContext): Plugin {
    const o = parseAutopath(d, ctx.block.zones, ctx.corefile);
    let search: SearchPath;
    if (o.plugin !== undefined) {
      const name = o.plugin;
      let peer: AutoPather | undefined;
      const find = (): AutoPather => {
        const p = ctx.peer?.(name);
        if (!p) throw CorefileError.at(d, `autopath: @${name} names no plugin of this server block — add a ${name} directive to the block, or remove autopath`);
        if (!isAutoPather(p)) throw CorefileError.at(d, `autopath: ${name} does not implement the AutoPather interface — only @kubernetes gives search paths`);
        const why = p.autoPathUnavailable?.();
        if (why) throw CorefileError.at(d, `autopath: @${name} ${why} — add \`pods verified\` to the ${name} block`);
        return p;
      };
      ctx.afterSetup?.(() => { peer = find(); });
      search = (req) => (peer ??= find()).autoPath(req);
    } else {
      const path = o.search!;
      search = () => path;
    }
    const metric = autopathSuccess();
    const block = ctx.block;
    const ap = new Autopath(o.zones, search, () => metric.inc({ server: block.server }));
    return { name: 'autopath', serve: (req, next) => ap.serve(req, next) };
  },
};
