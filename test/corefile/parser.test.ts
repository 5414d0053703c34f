import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../src/corefile/index.ts';
import type { Directive } from '../../src/corefile/index.ts';
import { errorOf } from './helpers.ts';
import { corpusText } from '../corefiles/corpus.ts';

const KUBEADM = corpusText('kubeadm-pre-1.32.Corefile');   // kubeadm's default before 1.32 (no cache disable lines)

/** A compact view of a directive tree: "name arg arg" or [ "name arg", [children] ]. */
type Shape = string | [string, Shape[]];
const shape = (ds: Directive[]): Shape[] =>
  ds.map((d) => {
    const head = [d.name, ...d.args].join(' ');
    return d.block ? [head, shape(d.block)] : head;
  });


describe('parseCorefile', () => {
  it('parses the kubeadm default Corefile', () => {
    const blocks = parseCorefile(KUBEADM, '/etc/coredns/Corefile', { env: {} });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ keys: ['.:53'], file: '/etc/coredns/Corefile', line: 1 });
    expect(shape(blocks[0].directives)).toEqual([
      'errors',
      ['health', ['lameduck 5s']],
      'ready',
      ['kubernetes cluster.local in-addr.arpa ip6.arpa', ['pods insecure', 'fallthrough in-addr.arpa ip6.arpa', 'ttl 30']],
      'prometheus :9153',
      ['forward . /etc/resolv.conf', ['max_concurrent 1000']],
      'cache 30',
      'loop',
      'reload',
      'loadbalance',
    ]);
    const k = blocks[0].directives[3];
    expect([k.line, k.block![1].line, k.block![2].file]).toEqual([7, 9, '/etc/coredns/Corefile']);
  });

  it.each<[string, string, string[][], Shape[][]]>([
    ['several keys separated by spaces', 'example.org example.net {\n whoami\n}', [['example.org', 'example.net']], [['whoami']]],
    ['keys separated by commas', 'a.org:53, b.org:53 {\n}', [['a.org:53', 'b.org:53']], [[]]],
    ['commas without spaces', 'a.org,b.org {\n}', [['a.org', 'b.org']], [[]]],
    ['trailing comma continues on the next line', 'a.org,\n  b.org {\nlog\n}', [['a.org', 'b.org']], [['log']]],
    ['{ on the line after the keys', '.:53\n{\n log\n}', [['.:53']], [['log']]],
    ['only a line of keys', '.\n', [['.']], [[]]],
    ['first block without braces runs to the end', '.:1053\nwhoami\nlog', [['.:1053']], [['whoami', 'log']]],
    ['two blocks, the second opened after }', 'a {\n log\n} b {\n errors\n}', [['a'], ['b']], [['log'], ['errors']]],
    ['one-line blocks', 'a { whoami }\nb { health { lameduck 5s } }', [['a'], ['b']], [['whoami'], [['health', ['lameduck 5s']]]]],
    ['nested two levels', 'x {\n forward . 1.1.1.1 {\n  policy random {\n   a 1\n  }\n  b\n }\n}', [['x']],
      [[['forward . 1.1.1.1', [['policy random', ['a 1']], 'b']]]]],
    ['empty block', 'x {\n health {\n }\n}', [['x']], [[['health', []]]]],
    ['quoted args and comments', '# top\nx { # open\n template IN A "a b" # c\n}', [['x']], [['template IN A a b']]],
    ['empty file', '  # nothing\n', [], []],
  ])('%s', (_name, src, keys, dirs) => {
    const blocks = parseCorefile(src, 'Corefile', { env: {} });
    expect(blocks.map((b) => b.keys)).toEqual(keys);
    expect(blocks.map((b) => shape(b.directives))).toEqual(dirs);
  });

  it('substitutes environment variables in keys, names and args', () => {
    const src = '{$ZONE}:{$PORT} {\n  {$PLUGIN} {%UP%} {$NONE}\n}';
    const blocks = parseCorefile(src, 'Corefile', { env: { ZONE: 'cluster.local', PORT: '1053', PLUGIN: 'forward', UP: '8.8.8.8' } });
    expect(blocks[0].keys).toEqual(['cluster.local:1053']);
    expect(blocks[0].directives[0]).toMatchObject({ name: 'forward', args: ['8.8.8.8', ''], line: 2 });
  });

  it('skips keys that are empty after substitution, as Caddy does', () => {
    const blocks = parseCorefile('{$EXTRA} cluster.local:53 {\n}', 'Corefile', { env: {} });
    expect(blocks[0].keys).toEqual(['cluster.local:53']);
  });

  it('keeps a multi-line quoted arg and the lines after it right', () => {
    const blocks = parseCorefile('x {\n  a "1\n2" b\n  c\n}', 'F', { env: {} });
    expect(blocks[0].directives.map((d) => [d.name, d.args, d.line])).toEqual([['a', ['1\n2', 'b'], 2], ['c', [], 4]]);
  });

  it.each([
    ['unclosed server block names its {', '.:53 {\n  errors\n', 'Corefile:1: unclosed \'{\' — add the matching \'}\''],
    ['unclosed nested block names its {', '.:53 {\n  health {\n    lameduck 5s\n', 'Corefile:2: unclosed \'{\' — add the matching \'}\''],
    ['stray }', '.:53 {\n}\n}\n', 'Corefile:3: unexpected \'}\' with no open \'{\' — remove it or add the missing \'{\''],
    ['stray } in a brace-less block', '.\nlog\n}', 'Corefile:3: unexpected \'}\''],
    ['{ without keys', '{\n log\n}', 'Corefile:1: \'{\' with no server block key before it'],
    ['{ on its own line after a directive', '.:53 {\n health\n {\n }\n}', 'Corefile:3: \'{\' must be on the same line as the directive'],
    ['text after a directive block }', '.:53 {\n health {\n } ready\n}', 'Corefile:3: unexpected \'ready\' after \'}\''],
    ['} closes the inner block, so the outer one is unclosed', '.:53 {\n  health {\n    lameduck 5s\n}\n', 'Corefile:1: unclosed'],
    ['directive after a block', '.:53 {\n}\nerrors\n', 'Corefile:3: \'errors\' is outside any server block'],
    ['directive before the first block', 'errors\n.:53 {\n log\n}\n', 'Corefile:1: \'errors\' is outside any server block'],
    ['empty key', '"" {\n}', 'Corefile:1: empty server block key'],
    ['only key is an unset variable', '\n{$NOPE} {\n}', 'Corefile:2: empty server block key'],
    ['dangling comma', 'a.org, {\n}', 'Corefile:1: expected another server block key after \',\''],
    ['unterminated quote', '.:53 {\n log "x\n}\n', 'Corefile:2: unterminated quoted string'],
    ['snippet inside a block', '.:53 {\n (s) {\n }\n}', 'Corefile:2: snippet (s) must be defined at the top level'],
  ])('error: %s', (_name, src, want) => {
    expect(errorOf(() => parseCorefile(src, 'Corefile', { env: {} }))).toContain(want);
  });
});
