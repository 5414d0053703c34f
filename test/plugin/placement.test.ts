// Declared placement and once-per-block, acted on by the generation (src/server/generation.ts):
// a plugin's directive is checked alike in every thread and under -validate, its parts are set up
// only where they run, and a second line of a once-per-block directive gets one message.
import { describe, expect, it } from 'vitest';
import { buildGeneration, type Role } from '../../src/server/generation.ts';
import { LoopbackHub } from '../../src/server/channels.ts';
import { configErrors, generation } from '../support/generation.ts';
import { tempDir } from '../support/k8s-fixtures.ts';

const errorsOf = configErrors;

describe('once per server block', () => {
  it.each(['cache', 'loop', 'prometheus 127.0.0.1:1', 'pprof 127.0.0.1:1', 'kubernetes cluster.local', 'hosts /etc/hosts'])('%s: one message, naming the first line', async (line) => {
    const name = line.split(' ')[0]!;
    expect(await errorsOf(`. {\n  ${line}\n  whoami\n  ${line}\n}\n`, 'single')).toEqual([
      `Corefile:4: ${name}: can only be used once per Server Block — remove this line or merge it into the one at line 2`,
    ]);
  });

  it('is per block: the same directive in two blocks is fine', async () => {
    expect(await errorsOf('a.example {\n  cache\n  whoami\n}\nb.example {\n  cache\n  whoami\n}\n', 'single')).toEqual([]);
  });
});

describe('placement', () => {
  const bad = '. {\n  health :1 :2\n  log foo {\n    class nope\n  }\n  whoami\n}\n';
  it('a directive is checked alike in every thread and under -validate, wherever its parts run', async () => {
    const want = [
      'Corefile:2: health: too many arguments — usage: health [ADDRESS] { lameduck DURATION }',
      'Corefile:4: log: unknown class "nope" — use all, denial, error or success',
    ];
    expect(await errorsOf(bad, 'single')).toEqual(want);
    for (const role of ['single', 'control', 'data'] as const) expect(await errorsOf(bad, role, 'serve')).toEqual(want);
  });

  it('a thread keeps only the parts that run there; a single thread joins both', async () => {
    const text = '. {\n  health 127.0.0.1:1\n  log\n  prometheus 127.0.0.1:1\n  whoami\n}\n';
    const names = async (role: Role) => {
      const g = await generation(text, role);
      try { return g.plugins.map((p) => `${p.name}${p.serve ? '+serve' : ''}`); } finally { await g.close(); }
    };
    // control: the listener-owning parts, nothing that answers queries
    expect(await names('control')).toEqual(['health', 'prometheus', 'whoami+serve']);
    // an answering thread: no health (control only); log and prometheus observe its responses
    expect(await names('data')).toEqual(['prometheus', 'log', 'whoami+serve']);
    expect(await names('single')).toEqual(['health', 'prometheus', 'log', 'whoami+serve']);
  });

  it('ctx.controlLog speaks in the control and single threads, and is silent in answering threads', async () => {
    // file re-reads its zone file in every thread; a missing one (with reload) is logged once per process.
    const text = '. {\n  file /nonexistent/clusterdns/db.example example.org {\n    reload 5s\n  }\n}\n';
    const logged = async (role: Role) => {
      const lines: string[] = [];
      const g = await buildGeneration({ text, file: 'Corefile', dnsPort: 53, role, mode: 'serve', sink: { write: (l) => { lines.push(l); } }, shared: new Map(), hub: new LoopbackHub() });
      await g.close();
      return lines.filter((l) => l.includes('Failed to open')).length;
    };
    expect(await logged('single')).toBe(1);
    expect(await logged('control')).toBe(1);
    expect(await logged('data')).toBe(0);
  });

  // kubernetes declares two parts; autopath and k8s_external find it with ctx.peer() after setup,
  // in every thread (the control thread of a multi-worker server runs those checks too).
  const k8s = (pods: string) => `cluster.local example.com {\n  autopath @kubernetes\n  k8s_external example.com\n  kubernetes cluster.local {\n    ${pods}\n    manifests ${tempDir()}\n  }\n}\n`;
  it('kubernetes: its peers find its capabilities in every thread and under -validate', async () => {
    expect(await errorsOf(k8s('pods verified'), 'single')).toEqual([]);
    for (const role of ['single', 'control', 'data'] as const) expect(await errorsOf(k8s('pods verified'), role, 'serve')).toEqual([]);
    const unverified = ['Corefile:2: autopath: @kubernetes needs the kubernetes plugin\'s `pods verified` (autopath finds the client\'s namespace from its pod IP) — add `pods verified` to the kubernetes block'];
    expect(await errorsOf(k8s('pods insecure'), 'single')).toEqual(unverified);
    for (const role of ['single', 'control', 'data'] as const) expect(await errorsOf(k8s('pods insecure'), role, 'serve')).toEqual(unverified);
  });
});
