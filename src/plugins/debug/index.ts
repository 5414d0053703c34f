/** debug: turns on [DEBUG] log lines (CoreDNS's plugin/debug; panics are always recovered here). */
import type { PluginDefinition } from '../../plugin/contract.ts';
import { maxArgs, noBlock } from '../../plugin/args.ts';
import { holdDebug } from '../../plugin/log.ts';

export const definition: PluginDefinition = {
  name: 'debug',
  setup(d) {
    maxArgs(d, 0, 'debug');
    noBlock(d, 'debug');
    const release = holdDebug();
    return { name: 'debug', close: release };
  },
};
