/**
 * whoami: answers every query with the client's address and port (CoreDNS's plugin/whoami):
 * an A or AAAA record for the client IP and an SRV record `_PROTO.QNAME` carrying its source
 * port, both in the additional section, TTL 0, authoritative.
 */
import type { PluginDefinition } from '../../plugin/contract.ts';
import { maxArgs, noBlock } from '../../plugin/args.ts';
import { replyTo } from '../../dns/message.ts';
import { Type } from '../../dns/types.ts';

export const definition: PluginDefinition = {
  name: 'whoami',
  setup(d) {
    maxArgs(d, 0, 'whoami');
    noBlock(d, 'whoami');
    return {
      name: 'whoami',
      serve(req) {
        const res = replyTo(req.msg);
        res.aa = true;
        let ip = req.remoteAddress;
        if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
        const v6 = ip.includes(':');
        res.additional.push({ name: req.qname, type: v6 ? Type.AAAA : Type.A, class: req.qclass, ttl: 0, data: { address: ip } });
        const srvName = req.qname === '.' ? `_${req.protocol}.` : `_${req.protocol}.${req.qname}`;
        res.additional.push({ name: srvName, type: Type.SRV, class: req.qclass, ttl: 0, data: { priority: 0, weight: 0, port: req.remotePort, target: '.' } });
        return res;
      },
    };
  },
};
