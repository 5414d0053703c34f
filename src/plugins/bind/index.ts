/**
 * bind: the addresses a server block listens on (CoreDNS's plugin/bind). Arguments are IP
 * addresses or interface names; `except` removes addresses. Without bind, all interfaces.
 */
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { PluginDefinition } from '../../plugin/contract.ts';
import { CorefileError } from '../../corefile/types.ts';
import { unknownOption } from '../../plugin/args.ts';

function expand(token: string): string[] | undefined {
  if (isIP(token)) return [token];
  const ifc = networkInterfaces()[token];
  return ifc ? ifc.filter((a) => !a.address.startsWith('fe80')).map((a) => a.address) : undefined;
}

export const definition: PluginDefinition = {
  name: 'bind',
  setup(d, ctx) {
    const usage = 'bind ADDRESS|IFACE... { except ADDRESS|IFACE... }';
    if (d.args.length === 0) throw CorefileError.at(d, `bind: needs at least one address or interface — usage: ${usage}`);
    const add = (list: string[], tok: string, at = d) => {
      const ips = expand(tok);
      if (!ips && ctx.mode === 'validate' && /^[A-Za-z][\w.:@-]{0,14}$/.test(tok)) {
        // -validate runs away from the target host: an interface name is checked where it runs.
        ctx.notChecked?.(`interface "${tok}" is not on this host; not checked (offline validation)`);
        return;
      }
      if (!ips) throw CorefileError.at(at, `bind: "${tok}" is neither an IP address nor a network interface of this host`);
      list.push(...ips);
    };
    const addrs: string[] = [];
    for (const a of d.args) add(addrs, a);
    const except: string[] = [];
    for (const opt of d.block ?? []) {
      if (opt.name !== 'except') unknownOption(d, opt, ['except']);
      for (const a of opt.args) add(except, a, opt);
    }
    const final = [...new Set(addrs.filter((a) => !except.includes(a)))];
    if (final.length === 0 && ctx.mode === 'validate' && addrs.length === 0) return { name: 'bind' };
    if (final.length === 0) throw CorefileError.at(d, 'bind: every address is excluded by except — nothing to listen on');
    ctx.block.listenAddresses.push(...final.filter((a) => !ctx.block.listenAddresses.includes(a)));
    return { name: 'bind' };
  },
};
