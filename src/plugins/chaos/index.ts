/**
 * chaos: answers CH-class TXT queries for version.bind, version.server, authors.bind,
 * hostname.bind and id.server (CoreDNS's plugin/chaos). Anything else goes to the next plugin.
 */
import { hostname } from 'node:os';
import type { PluginDefinition } from '../../plugin/contract.ts';
import { noBlock } from '../../plugin/args.ts';
import { replyTo, txt } from '../../dns/message.ts';
import { Class, Type } from '../../dns/types.ts';
import { VERSION } from '../../version.ts';

export const definition: PluginDefinition = {
  name: 'chaos',
  setup(d) {
    noBlock(d, 'chaos [VERSION] [AUTHORS...]');
    const version = d.args[0] ?? `clusterdns-${VERSION}`;
    const authors = d.args.length > 1 ? d.args.slice(1) : ['clusterdns authors'];
    const host = hostname();
    return {
      name: 'chaos',
      serve(req, next) {
        if (req.qclass !== Class.CH || req.qtype !== Type.TXT) return next(req);
        let texts: string[];
        switch (req.qname) {
          case 'version.bind.': case 'version.server.': texts = [version]; break;
          case 'authors.bind.': texts = authors; break;
          case 'hostname.bind.': case 'id.server.': texts = [host]; break;
          default: return next(req);
        }
        const res = replyTo(req.msg);
        res.aa = true;
        for (const t of texts) res.answers.push({ ...txt(req.question.name, 0, t), class: Class.CH });
        return res;
      },
    };
  },
};
