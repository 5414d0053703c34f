/**
 * The Corefile corpus: real Corefiles of Kubernetes distributions, byte for byte as a default
 * install renders them (README.md in this folder says where each came from and how its
 * placeholders were filled). `needs` lists the CoreDNS plugins a file uses that clusterdns did not
 * have when the file was added: while one is missing the file must fail with a FILE:LINE error
 * naming it; once every one exists the file must validate and serve like the others. `probes` are
 * the questions asked of the served copy (default: a Service name and an outside name); a file
 * that serves other names, or refuses loopback clients by design, lists its own.
 */
import { readFileSync } from 'node:fs';

/** The text of corpus file `file` (e.g. 'kubeadm.Corefile'), for tests elsewhere that need a real Corefile. */
export function corpusText(file: string): string {
  return readFileSync(new URL(file, import.meta.url), 'utf8');
}

export interface Probe {
  name: string;
  type: string;
  rcode: number;                // 0 NOERROR, 3 NXDOMAIN, 5 REFUSED
  answers?: string[];           // A/AAAA addresses, or PTR/NS/SRV targets, in order (CNAMEs left out)
}

export interface CorpusEntry {
  file: string;                 // in test/corefiles/
  source: { repo: string; path: string; commit: string };
  needs?: string[];
  probes?: Probe[];
  /** A known incompatibility: `-validate` fails with this `FILE:LINE: message` (line, text) and the file is not served. */
  knownFailure?: { line: number; message: string; reason: string };
}

/** Asked of every file that lists no probes of its own. */
export const DEFAULT_PROBES: Probe[] = [
  { name: 'kubernetes.default.svc.cluster.local.', type: 'A', rcode: 0, answers: ['10.96.0.1'] },
  { name: 'example.test.', type: 'A', rcode: 0, answers: ['192.0.2.80'] },
];

export const CORPUS: CorpusEntry[] = [
  { file: 'k3s.Corefile', source: { repo: 'k3s-io/k3s', path: 'manifests/coredns.yaml', commit: '66c487bd3cc993b7ae435490fc4f5bf87a442f1a' } },
  { file: 'coredns-helm.Corefile', source: { repo: 'coredns/helm', path: 'charts/coredns/templates/configmap.yaml + charts/coredns/values.yaml', commit: '14ce565f9d270aaeb43e664e07e147f449e0bddc + b15cc4f2075e0b061ccf13d7a7e219e3e070777e' } },
  { file: 'nodelocaldns.Corefile', source: { repo: 'kubernetes/kubernetes', path: 'cluster/addons/dns/nodelocaldns/nodelocaldns.yaml', commit: 'ba6a475804eb335e7bdab08f99ca1b247bd00df7' } },
  { file: 'microk8s.Corefile', source: { repo: 'canonical/microk8s', path: 'microk8s-resources/actions/coredns.yaml', commit: '61a11e2f4c357d27ed44adb1a72363a350f81725' } },
  { file: 'k0s.Corefile', source: { repo: 'k0sproject/k0s', path: 'pkg/component/controller/coredns.go', commit: '1059dfea4ba354da6b5ede8b68469c1f3cf4b077' } },
  { file: 'eks.Corefile', source: { repo: 'eksctl-io/eksctl', path: 'pkg/addons/default/assets/coredns-1.33.json', commit: '364c505bd149442d6c0f08e8db2454f52aff3c12' } },
  { file: 'minikube.Corefile', source: { repo: 'kubernetes/minikube', path: 'pkg/minikube/bootstrapper/kubeadm/dns/coredns.go', commit: '8b9f7cdd22fe35c38472723cd490a3d64d7b04de' } },
  { file: 'coredns-deployment.Corefile', source: { repo: 'coredns/deployment', path: 'kubernetes/coredns.yaml.sed + kubernetes/deploy.sh', commit: '000c366e86407ad55a502d31e9134a616aad6d3f + 0178fcacffbbcc60ca305ee49f20eb0caf6f037f' } },
  { file: 'openshift-dns-operator.Corefile', source: { repo: 'openshift/cluster-dns-operator', path: 'pkg/operator/controller/testdata/default_corefile', commit: '0c5f36c2ebfcb3f46acfbc7e0cdd71ddef25df2e' } },
  { file: 'k8s-docs-default.Corefile', source: { repo: 'kubernetes/website', path: 'content/en/docs/tasks/administer-cluster/dns-custom-nameservers.md', commit: '0189ae0f6bf2a79ff2e4bfd5f9ec0da98d64c5d2' } },
  { file: 'k8s-docs-stubdomain.Corefile', source: { repo: 'kubernetes/website', path: 'content/en/docs/tasks/administer-cluster/dns-custom-nameservers.md', commit: '0189ae0f6bf2a79ff2e4bfd5f9ec0da98d64c5d2' } },
  { file: 'talos.Corefile', source: { repo: 'siderolabs/talos', path: 'internal/app/machined/pkg/controllers/k8s/internal/k8stemplates/testdata/coredns-configmap-cluster-domain.yaml', commit: '6ea50fb35379bfab85f15b65531b288bc672bbc2' } },
  { file: 'kubespray.Corefile', source: { repo: 'kubernetes-sigs/kubespray', path: 'roles/kubernetes-apps/ansible/templates/coredns-config.yml.j2 + roles/kubernetes-apps/ansible/defaults/main.yml', commit: '0128a2cfa2ea4620c3584416398ed5b859911ebc + 04b42007d6017537637fcdb138a8ba24b3c4e318' } },
  { file: 'gardener.Corefile', source: { repo: 'gardener/gardener', path: 'pkg/component/networking/coredns/coredns.go', commit: 'cb6fe1d519920239ad04e4e835951be12281698c' }, needs: ['rewrite'] },
  { file: 'kubeadm.Corefile', source: { repo: 'kubernetes/kubernetes', path: 'cmd/kubeadm/app/phases/addons/dns/manifests.go', commit: '008b3652959ca58af8be3fb5b6ecfe9ae7638282' },
    // Also the zone's apex NS, which CoreDNS answers with ns.dns.<zone>.
    probes: [...DEFAULT_PROBES, { name: 'cluster.local.', type: 'NS', rcode: 0, answers: ['ns.dns.cluster.local'] }] },
  { file: 'kubeadm-pre-1.32.Corefile', source: { repo: 'ikeeip/kubernetes', path: 'cmd/kubeadm/app/phases/addons/dns/manifests.go', commit: '165f94468515a9ae03e1e9685f547ffe8b44bd54' } },
  { file: 'kube-up.Corefile', source: { repo: 'kubernetes/kubernetes', path: 'cluster/addons/dns/coredns/coredns.yaml.base', commit: '008b3652959ca58af8be3fb5b6ecfe9ae7638282' } },
  { file: 'kops.Corefile', source: { repo: 'kubernetes/kops', path: 'upup/models/cloudup/resources/addons/coredns.addons.k8s.io/k8s-1.12.yaml.template', commit: '005ceef4f31fcea17b82569627ead502ee290c0e' } },
  { file: 'kops-ipv6.Corefile', source: { repo: 'kubernetes/kops', path: 'upup/models/cloudup/resources/addons/coredns.addons.k8s.io/k8s-1.12.yaml.template', commit: '005ceef4f31fcea17b82569627ead502ee290c0e' } },
  { file: 'rke2.Corefile', source: { repo: 'rancher/rke2 (issue #9866, RKE2 v1.34.3+rke2r1) + rancher/rke2-charts', path: 'packages/rke2-coredns/generated-changes/patch/templates/configmap.yaml.patch', commit: 'b6d03555637c466719d3eea9c801d855d99e6b88' } },
  { file: 'aks.Corefile', source: { repo: 'VijayRod/demo', path: 'container-storage/logs/dns-k8s-coredns_cm.md', commit: '6ebf163bce6ba7e22f2e2599186d52add0f221a6' } },
  { file: 'vcluster.Corefile', source: { repo: 'loft-sh/vcluster', path: 'chart/templates/_coredns.tpl', commit: '2c215dbf474e4a09ea02182166ad8d42a4d7016e' } },
  { file: 'coredns-issue-4927-k8s-external.Corefile', source: { repo: 'coredns/coredns', path: 'issue #4927 (k8s_external plugin doesn\'t work with AWS ELB/NLB with query=SRV)', commit: 'n/a (issue text)' },
    probes: [...DEFAULT_PROBES, { name: 'web.default.my_cluster.', type: 'A', rcode: 0, answers: ['192.0.2.50'] },
      // The issue's own question, an SRV in the external zone (it got "lame referral" before CoreDNS fixed it).
      { name: '_http._tcp.web.default.my_cluster.', type: 'SRV', rcode: 0, answers: ['web.default.my_cluster'] }] },
  { file: 'coredns-issue-4697-acl.Corefile', source: { repo: 'coredns/coredns', path: 'issue #4697 (ACLs seem to not take affect correctly (IPv6, kubernetes))', commit: 'n/a (issue text)' },
    // Loopback IPv4 clients match neither allow rule, so the `acl .` block refuses them, as it did the poster's outside client.
    probes: [
      { name: 'example.test.', type: 'A', rcode: 5 },
      { name: 'kubernetes.default.svc.p10.k8s.ooo.', type: 'A', rcode: 5 },
    ] },
  { file: 'coredns-issue-3837-dns64.Corefile', source: { repo: 'coredns/coredns', path: 'issue #3837 (DNS64: Does not return synthesized record from forwarder)', commit: 'n/a (issue text)' },
    probes: [{ name: 'example.test.', type: 'A', rcode: 0, answers: ['192.0.2.80'] }] },
  { file: 'user-template-fzen.Corefile', source: { repo: 'Firzen475/Common', path: 'kubernetes/addons/coredns/troobleshooting.md', commit: '0981ca579499d68be6be170e074d2286d85e85e6' },
    probes: [...DEFAULT_PROBES,
      { name: 'www.fzen.pro.', type: 'A', rcode: 0, answers: ['192.168.2.2'] },
      { name: 'kubernetes.default.svc.', type: 'A', rcode: 0, answers: ['10.96.0.1'] }] },
  { file: 'coredns-readme-template-invalid.Corefile', source: { repo: 'coredns/coredns', path: 'plugin/template/README.md ("Resolve .invalid as NXDOMAIN")', commit: '09204b9f1b1813a5a5da9f7ff4f7e1f56ec4c6a2' },
    probes: [{ name: 'example.test.', type: 'A', rcode: 0, answers: ['192.0.2.80'] }, { name: 'foo.invalid.', type: 'A', rcode: 3 }] },
  { file: 'coredns-readme-template-ptr.Corefile', source: { repo: 'coredns/coredns', path: 'plugin/template/README.md ("Resolve A/PTR for .example")', commit: '09204b9f1b1813a5a5da9f7ff4f7e1f56ec4c6a2' },
    probes: [{ name: 'example.test.', type: 'A', rcode: 0, answers: ['192.0.2.80'] },
      { name: 'ip-10-1-2-3.example.', type: 'A', rcode: 0, answers: ['10.1.2.3'] },
      { name: '3.2.1.10.in-addr.arpa.', type: 'PTR', rcode: 0, answers: ['ip-10-1-2-3.example'] }] },
  { file: 'debian-package.Corefile', source: { repo: 'coredns/deployment', path: 'debian/Corefile (installed as /etc/coredns/Corefile by debian/rules)', commit: '85c58e5d5d0ad40e0845eb0cd45da1965e7a7710' },
    // whoami answers every name with an empty answer section (the client's address and port go in the additional section).
    probes: [{ name: 'example.test.', type: 'A', rcode: 0, answers: [] }] },
  { file: 'k8s-dns-issue-525-nodelocal-rewrite.Corefile', source: { repo: 'kubernetes/dns', path: 'issue #525 (nodelocaldns rewrite throws NXDOMAIN), the maintainer\'s corrected Corefile', commit: 'n/a (issue text)' },
    probes: [{ name: 'example.test.', type: 'A', rcode: 0, answers: ['192.0.2.80'] }, { name: 'git.my.domain.', type: 'A', rcode: 0, answers: ['10.239.7.7'] }] },
  // etcd is a CoreDNS plugin clusterdns does not have: the file must fail with FILE:LINE naming it.
  { file: 'coredns-issue-5265-etcd-rewrite.Corefile', source: { repo: 'coredns/coredns', path: 'issue #5265 (Intermittent resolution fail with ETCD as backend), the maintainer\'s suggested Corefile', commit: 'n/a (issue text)' },
    needs: ['etcd'] },
  { file: 'coredns-ci-autopath.Corefile', source: { repo: 'coredns/ci', path: 'test/kubernetes/autopath_test.go (TestKubernetesAutopath)', commit: '1ba2e1d3c45b2a35ef362d554c498dde3d434672' },
    // CoreDNS's own autopath integration test, asked from a client whose address (127.0.0.1) is a Pod in test-1:
    // svc-1-a.test-1 completed with the client's first search domain must come back as svc-1-a.test-1.svc.cluster.local.
    // No upstream for outside names (forward is for `internal` only) and no zone file here (file warns and retries).
    probes: [
      { name: 'kubernetes.default.svc.cluster.local.', type: 'A', rcode: 0, answers: ['10.96.0.1'] },
      { name: 'svc-1-a.test-1.test-1.svc.cluster.local.', type: 'A', rcode: 0, answers: ['10.96.0.100'] },
    ] },
  // transfer (zone transfers) is a CoreDNS plugin clusterdns does not have: FILE:LINE naming it.
  { file: 'coredns-ci-axfr.Corefile', source: { repo: 'coredns/ci', path: 'test/kubernetes/axfr_test.go (TestAXFR)', commit: '196708bc565202fade4b4afc3d850f09e23c4c1e' },
    needs: ['transfer'] },
  { file: 'coredns-ci-excluster.Corefile', source: { repo: 'coredns/ci', path: 'test/kubernetes/excluster_test.go (TestKubernetesSecureAPI)', commit: '0a21e54cde19fe1959353351c3a56e2173287475' },
    knownFailure: { line: 1, message: "unclosed '{'", reason:
      "the server block's '}' is missing. CoreDNS's Caddy parser still accepts it, because it only checks that the last " +
      "token is a '}' (here the one closing kubernetes' block); clusterdns's parser refuses an unterminated block on purpose " +
      '(src/corefile/parser.ts: "Stricter than Caddy")' } },
  // CoreDNS's own pods tests (only namespace test-1 exposed; the fake API server has a Pod at 127.0.0.1 in test-1).
  { file: 'coredns-ci-pods-insecure.Corefile', source: { repo: 'coredns/ci', path: 'test/kubernetes/pods_test.go (TestKubernetesPodsInsecure)', commit: '1ba2e1d3c45b2a35ef362d554c498dde3d434672' },
    probes: [
      { name: '10-20-0-101.test-1.pod.cluster.local.', type: 'A', rcode: 0, answers: ['10.20.0.101'] },
      { name: '10-20-0-101.test-X.pod.cluster.local.', type: 'A', rcode: 3 },
      { name: 'kubernetes.default.svc.cluster.local.', type: 'A', rcode: 3 },
      { name: 'svc-1-a.test-1.svc.cluster.local.', type: 'A', rcode: 0, answers: ['10.96.0.100'] },
    ] },
  { file: 'coredns-ci-pods-verified.Corefile', source: { repo: 'coredns/ci', path: 'test/kubernetes/pods_test.go (TestKubernetesPodsVerified)', commit: '1ba2e1d3c45b2a35ef362d554c498dde3d434672' },
    probes: [
      { name: '10-20-0-101.test-1.pod.cluster.local.', type: 'A', rcode: 3 },
      { name: '10-20-0-101.test-X.pod.cluster.local.', type: 'A', rcode: 3 },
      { name: '127-0-0-1.test-1.pod.cluster.local.', type: 'A', rcode: 0, answers: ['127.0.0.1'] },
    ] },
];

export interface Localized { text: string; http: Map<string, number> }

/**
 * The same Corefile made runnable in a test: every server block's DNS port becomes `dnsPort`,
 * health/ready/prometheus/pprof listen on 127.0.0.1 (one free port per original address, so blocks that
 * shared one still share it), `bind` is 127.0.0.1, every `forward` goes to `upstream` (never the
 * machine's resolver), each `kubernetes` gets `kubeconfig` for the fake API server, and health's
 * `lameduck` becomes 10ms (stopping each test server would otherwise wait 5-20 s). Everything
 * else is left as written. Blocks are found by a `{` ending a line and a `}` starting one, so
 * `{1}` inside rewrite rules does not count.
 */
export function localize(text: string, o: { dnsPort: number; upstream: string; kubeconfig: string; port: (key: string) => number }): Localized {
  const http = new Map<string, number>();
  const DEFAULT_HTTP: Record<string, string> = { health: ':8080', ready: ':8181', prometheus: ':9153', pprof: 'localhost:6053' };
  let depth = 0;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    const opens = /(^|\s)\{\s*$/.test(line);
    const closes = trimmed.startsWith('}');
    if (closes) depth = Math.max(0, depth - 1);
    let next = line;
    if (depth === 0 && opens && !trimmed.startsWith('(')) {
      next = line.replace(/^(\s*)(.*?)(\s*\{\s*)$/, (_m, lead: string, keys: string, brace: string) =>
        lead + keys.split(/\s+/).map((k) => k.replace(/:\d+$/, '') + `:${o.dnsPort}`).join(' ') + brace);
    } else if (depth === 1) {
      const m = /^(\s*)(\S+)((?:\s+[^\s{]+)*)(\s*\{\s*)?$/.exec(line);
      if (m) {
        const [, lead, name, argText, brace = ''] = m;
        const args = argText!.trim() === '' ? [] : argText!.trim().split(/\s+/);
        if (name === 'health' || name === 'ready' || name === 'prometheus' || name === 'pprof') {
          const key = `${name} ${args[0] ?? DEFAULT_HTTP[name]}`;
          if (!http.has(key)) http.set(key, o.port(key));
          next = `${lead}${name} 127.0.0.1:${http.get(key)}${brace}`;
        } else if (name === 'forward') {
          next = `${lead}forward ${args[0]} ${o.upstream}${brace}`;
        } else if (name === 'bind') {
          next = `${lead}bind 127.0.0.1${brace}`;
        } else if (name === 'kubernetes') {
          next = brace ? `${line}\n${lead}    kubeconfig ${o.kubeconfig}` : `${line} {\n${lead}    kubeconfig ${o.kubeconfig}\n${lead}}`;
        }
      }
    }
    const lameduck = /^(\s*)lameduck\s+\S+(\s*)$/.exec(next);
    if (lameduck) next = `${lameduck[1]}lameduck 10ms${lameduck[2]}`;
    if (opens) depth++;
    out.push(next);
  }
  return { text: out.join('\n'), http };
}
