// The kubernetes handler's memo of A/AAAA answers (src/plugins/kubernetes/handler.ts): an answer
// is reused only on the view (and version) it was computed from, every query gets its own message
// and section arrays, and ns.dns.ZONE follows this server's addresses. The end-to-end cases (a
// change in the API reaching the answers, with one thread and with workers) are in dynamic.test.ts
// and shared-image.test.ts; these fail there too when the memo outlives its view.
import { describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/corefile/types.ts';
import { decodeQuery, encodeQuery } from '../../../src/dns/codec.ts';
import { Rcode, Type, type AData, type Message, type SOAData } from '../../../src/dns/types.ts';
import type { Request } from '../../../src/plugin/contract.ts';
import { Backend } from '../../../src/plugins/kubernetes/backend.ts';
import { ClusterIndex } from '../../../src/plugins/kubernetes/cluster-index.ts';
import { KubernetesHandler } from '../../../src/plugins/kubernetes/handler.ts';
import { buildImage } from '../../../src/plugins/kubernetes/cluster-image.ts';
import { ImageView } from '../../../src/plugins/kubernetes/image-view.ts';
import { Kind, toNamespace, toService, toSlice, type ApiEndpointSlice, type ApiNamespace, type ApiService } from '../../../src/plugins/kubernetes/records.ts';
import { parseKubernetes } from '../../../src/plugins/kubernetes/setup.ts';
import { endpointSlice, namespace, service } from '../../support/fake-apiserver.ts';

const directive: Directive = { name: 'kubernetes', args: ['cluster.local'], file: 'Corefile', line: 2, block: null };
const options = () => parseKubernetes(directive, ['cluster.local.']);

let rv = 1;
function putService(ix: ClusterIndex, name: string, spec: Parameters<typeof service>[2]): void {
  const o = service('apps', name, spec);
  o.metadata.resourceVersion = String(rv++);
  ix.apply({ k: Kind.Service, key: `${name}.apps`, v: toService(o as ApiService) });
}
function putSlice(ix: ClusterIndex, name: string, of: string, ips: string[]): void {
  const o = endpointSlice('apps', name, of, { endpoints: ips.map((ip) => ({ ip })) });
  o.metadata.resourceVersion = String(rv++);
  ix.apply({ k: Kind.Slice, key: `apps/${name}`, v: toSlice(o as ApiEndpointSlice, false) });
}

function request(name: string, type: number): Request {
  const msg = decodeQuery(encodeQuery(name, type));
  const question = msg.questions[0]!;
  return {
    msg, question, qname: name.toLowerCase(), qtype: type, qclass: 1, zone: '.',
    protocol: 'udp', remoteAddress: '127.0.0.1', remotePort: 5353, localAddress: '127.0.0.1', localPort: 53,
    size: 512, do: false, wire: encodeQuery(name, type), meta: new Map(),
  };
}

const noNext = () => { throw new Error('nothing falls through here'); };

function setup(addresses: string[] = ['10.0.0.53']) {
  const index = new ClusterIndex();
  index.apply({ k: Kind.Namespace, key: 'apps', v: toNamespace(namespace('apps') as ApiNamespace) });
  const local = { addresses };
  const backend = new Backend(options(), index, () => local.addresses);
  const handler = new KubernetesHandler(backend, { synced: () => true });
  const ask = (name: string, type = Type.A) => handler.answer(request(name, type), noNext, 'cluster.local.') as Message;
  const ips = (m: Message) => m.answers.map((r) => (r.data as AData).address).sort();
  return { index, backend, local, ask, ips };
}

describe('kubernetes: the memo of A/AAAA answers', () => {
  it('answers from the live index as it is now: a change (a new version) drops what was memoized', () => {
    const { index, ask, ips } = setup();
    expect(ask('web.apps.svc.cluster.local.').rcode).toBe(Rcode.NXDOMAIN);
    putService(index, 'web', { clusterIP: '10.96.0.10' });
    expect(ips(ask('web.apps.svc.cluster.local.'))).toEqual(['10.96.0.10']);
    putService(index, 'web', { clusterIP: '10.96.0.11' });
    expect(ips(ask('web.apps.svc.cluster.local.'))).toEqual(['10.96.0.11']);
    putService(index, 'db', { clusterIP: 'None' });
    putSlice(index, 'db-1', 'db', ['10.1.0.1', '10.1.0.2']);
    expect(ips(ask('db.apps.svc.cluster.local.'))).toEqual(['10.1.0.1', '10.1.0.2']);
    putSlice(index, 'db-1', 'db', ['10.1.0.3']);
    expect(ips(ask('db.apps.svc.cluster.local.'))).toEqual(['10.1.0.3']);
  });

  it('answers from the view the backend reads now: a new image drops what was memoized, and the SOA serial follows it', () => {
    const { index, backend, ask, ips } = setup();
    putService(index, 'web', { clusterIP: '10.96.0.10' });
    index.modified = 1000;
    backend.index = new ImageView(buildImage(index).buffer, false);
    const before = ask('gone.apps.svc.cluster.local.');
    expect(ips(ask('web.apps.svc.cluster.local.'))).toEqual(['10.96.0.10']);
    putService(index, 'web', { clusterIP: '10.96.0.12' });
    index.modified = 2000;
    backend.index = new ImageView(buildImage(index).buffer, false);
    expect(ips(ask('web.apps.svc.cluster.local.'))).toEqual(['10.96.0.12']);
    const after = ask('gone.apps.svc.cluster.local.');
    expect([(before.authority[0]!.data as SOAData).serial, (after.authority[0]!.data as SOAData).serial]).toEqual([1000, 2000]);
  });

  it('gives every query its own message and sections: changing one answer leaves the next one as it was', () => {
    const { index, ask, ips } = setup();
    putService(index, 'db', { clusterIP: 'None' });
    putSlice(index, 'db-1', 'db', ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    const first = ask('db.apps.svc.cluster.local.');
    first.answers.reverse();
    first.answers.pop();
    first.additional.push(first.answers[0]!);
    const second = ask('db.apps.svc.cluster.local.');
    expect(second).not.toBe(first);
    expect(ips(second)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(second.additional).toEqual([]);
    const nx1 = ask('none.apps.svc.cluster.local.');
    nx1.authority.pop();
    expect(ask('none.apps.svc.cluster.local.').authority).toHaveLength(1);
  });

  it('keeps the case of the name as asked (one memo entry per spelling)', () => {
    const { index, ask } = setup();
    putService(index, 'web', { clusterIP: '10.96.0.10' });
    expect(ask('web.apps.svc.cluster.local.').answers[0]!.name).toBe('web.apps.svc.cluster.local.');
    expect(ask('WEB.Apps.svc.Cluster.Local.').answers[0]!.name).toBe('WEB.Apps.svc.Cluster.Local.');
    expect(ask('WEB.Apps.svc.Cluster.Local.').authority).toEqual([]);
  });

  it('answers ns.dns.ZONE from this server\'s addresses as they are now, never from the memo', () => {
    const { local, ask, ips } = setup(['10.0.0.53']);
    expect(ips(ask('ns.dns.cluster.local.'))).toEqual(['10.0.0.53']);
    local.addresses = ['10.0.0.54'];
    expect(ips(ask('ns.dns.cluster.local.'))).toEqual(['10.0.0.54']);
  });
});
