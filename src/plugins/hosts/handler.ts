/**
 * Answering from the hosts index (CoreDNS's plugin/hosts/hosts.go ServeDNS):
 * - a name outside the plugin's zones goes to the next plugin (PTR queries are looked up anyway);
 * - A/AAAA come from the entries, PTR from the reverse index (a PTR miss always goes on);
 * - a name with no entry at all falls through when `fallthrough` covers it, else SERVFAIL (CoreDNS
 *   has no SOA to build an NXDOMAIN with, so it answers SERVFAIL);
 * - a name that exists with no record of the asked type gets an authoritative NOERROR, no answer
 *   (or, with `fallthrough_unsupported`, goes to the next plugin for types hosts never answers).
 * Owner names in answers are the lower-cased question name, as CoreDNS writes them.
 */
import { replyTo } from '../../dns/message.ts';
import { Class, Rcode, Type, type ResourceRecord } from '../../dns/types.ts';
import type { Next, Plugin, Request, Result } from '../../plugin/contract.ts';
import { inZones } from '../../dns/name.ts';
import type { HostsIndex } from './hostsfile.ts';
import { reverseToIP } from './ip.ts';
import { noteHostsSource } from './provenance.ts';
import type { HostsConfig } from './setup.ts';
import type { Replicated } from '../../plugin/replicated.ts';

function addressRecords(owner: string, type: number, ttl: number, addrs: readonly string[]): ResourceRecord[] {
  const out = new Array<ResourceRecord>(addrs.length);
  for (let i = 0; i < addrs.length; i++) out[i] = { name: owner, type, class: Class.IN, ttl, data: { address: addrs[i]! } };
  return out;
}

function ptrRecords(owner: string, ttl: number, names: readonly string[]): ResourceRecord[] {
  const out = new Array<ResourceRecord>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = { name: owner, type: Type.PTR, class: Class.IN, ttl, data: { target: names[i]! } };
  return out;
}

export class HostsPlugin implements Plugin {
  readonly name = 'hosts';
  readonly index: HostsIndex;
  private readonly cfg: HostsConfig;
  private readonly allZones: boolean;
  private readonly file: Replicated<SharedArrayBuffer>;

  /** The answering part: `file` brings the file's table to this thread (the control part reads the file). */
  constructor(cfg: HostsConfig, index: HostsIndex, file: Replicated<SharedArrayBuffer>) {
    this.cfg = cfg;
    this.index = index;
    this.file = file;
    this.allZones = cfg.origins.includes('.');
  }

  serve(req: Request, next: Next): Result {
    const qname = req.qname;
    const qtype = req.qtype;
    if (!this.allZones && qtype !== Type.PTR && !inZones(qname, this.cfg.origins)) return next(req);

    const ttl = this.cfg.ttl;
    let answers: ResourceRecord[] = [];
    let owner: string | undefined;
    switch (qtype) {
      case Type.PTR: {
        const ip = reverseToIP(qname);
        const names = ip === undefined ? [] : this.index.names(ip);
        if (names.length === 0) return next(req);
        answers = ptrRecords(qname, ttl, names);
        break;
      }
      case Type.A:
        owner = this.index.owner(qname);
        if (owner !== undefined) answers = addressRecords(qname, Type.A, ttl, this.index.v4(owner));
        break;
      case Type.AAAA:
        owner = this.index.owner(qname);
        if (owner !== undefined) answers = addressRecords(qname, Type.AAAA, ttl, this.index.v6(owner));
        break;
      default:
        owner = this.index.owner(qname);
    }

    if (answers.length === 0) {
      if (owner === undefined) {
        if (this.cfg.fall.through(qname)) return next(req);
        return replyTo(req.msg, Rcode.SERVFAIL);
      }
      if (this.cfg.fallthroughUnsupported && qtype !== Type.A && qtype !== Type.AAAA && this.cfg.fall.through(qname)) {
        return next(req);
      }
    }

    if (req.trace) {
      if (qtype === Type.PTR) noteHostsSource(req, this.cfg, answers.map((r) => (r.data as { target: string }).target), [reverseToIP(qname)!]);
      else if (owner !== undefined) noteHostsSource(req, this.cfg, [owner], [...this.index.v4(owner), ...this.index.v6(owner)]);
    }
    const m = replyTo(req.msg);
    m.aa = true;
    m.answers = answers;
    return m;
  }

  /** Ready once the file's entries are here (an answering thread waits for the first table). */
  ready(): boolean { return this.file.has; }

  close(): void { this.file.close(); }
}
