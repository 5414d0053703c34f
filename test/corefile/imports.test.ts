import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCorefile } from '../../src/corefile/index.ts';
import type { Directive } from '../../src/corefile/index.ts';
import { errorOf } from './helpers.ts';

const names = (ds: Directive[]) => ds.map((d) => [d.name, ...d.args].join(' '));


describe('snippets', () => {
  const parse = (src: string) => parseCorefile(src, 'Corefile', { env: {} });

  it('expands a snippet in a block and inside a directive block, with its own lines', () => {
    const src = [
      '(common) {',            // 1
      '  errors',               // 2
      '  cache 30',             // 3
      '}',                      // 4
      '(opts) { max_fails 3 }', // 5
      '.:53 {',                 // 6
      '  import common',        // 7
      '  forward . 1.1.1.1 {',  // 8
      '    import opts',        // 9
      '  }',                    // 10
      '}',
    ].join('\n');
    const [b] = parse(src);
    expect(names(b.directives)).toEqual(['errors', 'cache 30', 'forward . 1.1.1.1']);
    expect(b.directives.map((d) => d.line)).toEqual([2, 3, 8]);
    expect(names(b.directives[2].block!)).toEqual(['max_fails 3']);
  });

  it('snippets can hold whole server blocks and import other snippets', () => {
    const src = '(a) {\n  log\n}\n(b) {\n  import a\n  errors\n}\nx {\n  import b\n}\n';
    expect(names(parse(src)[0].directives)).toEqual(['log', 'errors']);
  });

  it('fills {args[N]} from the import line', () => {
    const src = '(fwd) {\n  forward {args[0]} {args[1]}\n}\n.:53 {\n  import fwd . 9.9.9.9\n}';
    expect(names(parse(src)[0].directives)).toEqual(['forward . 9.9.9.9']);
  });

  it.each([
    ['undefined snippet', '.:53 {\n  import nope\n}', 'Corefile:2: import "nope": no snippet (nope) is defined above this line'],
    ['snippet used before its definition', '.:53 {\n  import s\n}\n(s) {\n log\n}', 'Corefile:2: import "s": no snippet (s)'],
    ['redefined snippet', '(s) {\n}\n(s) {\n}', 'Corefile:3: snippet (s) is already defined at Corefile:1 — rename one of them'],
    ['self import', '(s) {\n  import s\n}\nx {\n  import s\n}', 'Corefile:2: import cycle: snippet (s) → snippet (s)'],
    ['mutual import', '(a) {\n import b\n}\n(b) {\n import a\n}\nx {\n import a\n}', 'Corefile:5: import cycle: snippet (a) → snippet (b) → snippet (a)'],
    ['missing argument', '(s) {\n  x {args[1]}\n}\ny {\n  import s one\n}', 'Corefile:5: snippet (s) uses {args[1]} but this import passes 1 argument(s)'],
    ['import without a name', '.:53 {\n  import\n}', 'Corefile:2: import needs a snippet name or a file path'],
    ['unclosed snippet', '(s) {\n  log\n', 'Corefile:1: unclosed \'{\''],
    ['snippet without body', '(s)\n', 'Corefile:1: snippet (s) needs a body'],
  ])('error: %s', (_name, src, want) => {
    expect(errorOf(() => parse(src))).toContain(want);
  });
});

describe('file imports', () => {
  let dir: string;
  const write = (rel: string, text: string) => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corefile-'));
    write('conf.d/b.conf', 'b.org {\n  whoami\n}\n');
    write('conf.d/a.conf', 'a.org {\n  log\n}\n');
    write('conf.d/notes.txt', 'not imported\n');
    write('plugins.conf', '\n\nerrors\nforward . {args[0]} {\n  max_fails 2\n}\n');
    write('bad.conf', 'log\n  health\n  {\n  }\n');
    write('badquote.conf', '\n\nlog "x\n');
    write('sub/inner.conf', 'import ../leaf.conf\n');
    write('leaf.conf', 'cache 30\n');
    write('loop1.conf', 'import loop2.conf\n');
    write('loop2.conf', 'import loop1.conf\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports whole server blocks through a glob, in name order, relative to the Corefile', () => {
    const main = write('Corefile', 'import conf.d/*.conf\n.:53 {\n  import plugins.conf 8.8.8.8\n}\n');
    const blocks = parseCorefile(fs.readFileSync(main, 'utf8'), main, { env: {} });
    expect(blocks.map((b) => b.keys)).toEqual([['a.org'], ['b.org'], ['.:53']]);
    expect(blocks[0]).toMatchObject({ file: path.join(dir, 'conf.d/a.conf'), line: 1 });
    const d = blocks[2].directives;
    expect(names(d)).toEqual(['errors', 'forward . 8.8.8.8']);
    expect(d.map((x) => [x.file, x.line])).toEqual([[path.join(dir, 'plugins.conf'), 3], [path.join(dir, 'plugins.conf'), 4]]);
    expect(names(d[1].block!)).toEqual(['max_fails 2']);
  });

  it('resolves imports inside an imported file against that file\'s directory', () => {
    const main = path.join(dir, 'Corefile2');
    const blocks = parseCorefile('x {\n  import sub/inner.conf\n}', main, { env: {} });
    expect(blocks[0].directives[0]).toMatchObject({ name: 'cache', file: path.join(dir, 'leaf.conf'), line: 1 });
  });

  it('accepts absolute paths and env in the import path', () => {
    const blocks = parseCorefile('x {\n  import {$D}/leaf.conf\n}', '-', { env: { D: dir } });
    expect(names(blocks[0].directives)).toEqual(['cache 30']);
  });

  it('a glob matching nothing imports nothing', () => {
    const blocks = parseCorefile('x {\n  import none/*.conf\n  log\n}', path.join(dir, 'Corefile'), { env: {} });
    expect(names(blocks[0].directives)).toEqual(['log']);
  });

  it('uses opts.readFile for imported files', () => {
    const seen: string[] = [];
    const readFile = (f: string) => { seen.push(f); return 'ready\n'; };
    const blocks = parseCorefile('x {\n  import virtual.conf\n}', '/virtual/Corefile', { env: {}, readFile });
    expect(names(blocks[0].directives)).toEqual(['ready']);
    expect(seen).toEqual(['/virtual/virtual.conf']);
  });

  it.each([
    ['missing plain file', 'x {\n  import missing.conf\n}', 'Corefile:2: import "missing.conf": no snippet (missing.conf) is defined above this line and file '],
    ['errors inside an imported file carry its name and line', 'x {\n  import bad.conf\n}', 'bad.conf:3: \'{\' must be on the same line'],
    ['lexer errors inside an imported file carry its name and line', 'x {\n  import badquote.conf\n}', 'badquote.conf:3: unterminated quoted string'],
    ['file import cycle', 'x {\n  import loop1.conf\n}', 'loop2.conf:1: import cycle: '],
    ['importing a directory', 'x {\n  import conf.d\n}', 'is a directory'],
    ['importing the Corefile itself', 'x {\n  import Corefile\n}', 'Corefile:2: import cycle: '],
  ])('error: %s', (_name, src, want) => {
    const main = path.join(dir, 'Corefile');
    expect(errorOf(() => parseCorefile(src, main, { env: {} }))).toContain(want);
  });
});
