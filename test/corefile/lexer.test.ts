import { describe, expect, it } from 'vitest';
import { lex, substituteEnv } from '../../src/corefile/lexer.ts';
import { CorefileError } from '../../src/corefile/types.ts';

const env = { ZONE: 'cluster.local', PORT: '5353', SPACED: 'a b', EMPTY: '' };
const words = (src: string) => lex(src, 'Corefile', env).map((t) => t.text);

describe('lexer', () => {
  it.each([
    ['plain words', 'forward . 1.1.1.1', ['forward', '.', '1.1.1.1']],
    ['comment to end of line', 'cache 30 # seconds\nloop', ['cache', '30', 'loop']],
    ['# in the middle of a word starts a comment (Caddy v1)', 'a b#c d\ne', ['a', 'b', 'e']],
    ['# inside quotes is text', 'log "a # b"', ['log', 'a # b']],
    ['quotes keep spaces', 'template "a  b" c', ['template', 'a  b', 'c']],
    ['escaped quote inside quotes', 'x "say \\"hi\\""', ['x', 'say "hi"']],
    ['other backslashes stay', 'x "a\\nb" c\\d', ['x', 'a\\nb', 'c\\d']],
    ['backslash backslash then quote closes', 'x "a\\\\" y', ['x', 'a\\\\', 'y']],
    ['empty quoted string is a token', 'x "" y', ['x', '', 'y']],
    ['a quote in the middle of a word is literal', 'a"b c"', ['a"b', 'c"']],
    ['closing quote ends the token', '"a"b', ['a', 'b']],
    ['backslash-newline is not a continuation', 'a \\\nb', ['a', '\\', 'b']],
    ['backticks are ordinary characters', '`a b`', ['`a', 'b`']],
    ['CRLF line ends', 'a b\r\nc\r\n', ['a', 'b', 'c']],
    ['byte order mark ignored', '\ufeff.:53 {', ['.:53', '{']],
    ['env unix and windows forms', '{$ZONE}:{%PORT%}', ['cluster.local:5353']],
    ['env value with spaces stays one token', 'x {$SPACED}', ['x', 'a b']],
    ['unset env is empty', 'x {$NOPE}y', ['x', 'y']],
    ['env inside quotes is substituted', '"z={$ZONE}"', ['z=cluster.local']],
    ['env default when unset', '{$NOPE:8.8.8.8} {$ZONE:x}', ['8.8.8.8', 'cluster.local']],
  ])('%s', (_name, src, want) => {
    expect(words(src)).toEqual(want);
  });

  it('records lines, line starts and braces', () => {
    const toks = lex('a "multi\nline" b\nc {\n"{" }', 'F', {});
    expect(toks.map((t) => [t.text, t.line, t.newline, t.brace])).toEqual([
      ['a', 1, true, null],
      ['multi\nline', 1, false, null],
      ['b', 2, false, null],         // same line as the end of the quoted token
      ['c', 3, true, null],
      ['{', 3, false, '{'],
      ['{', 4, true, null],          // a quoted brace is text
      ['}', 4, false, '}'],
    ]);
  });

  it('an env value of "{" is not a brace', () => {
    expect(lex('{$B}', 'F', { B: '{' })[0]).toMatchObject({ text: '{', brace: null });
  });

  it('unterminated quote names the line it opened on', () => {
    const err = (() => { try { lex('a\nlog "oops\nb\n', 'conf/Corefile', {}); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(CorefileError);
    expect((err as Error).message).toBe('conf/Corefile:2: unterminated quoted string — add the closing \'"\'');
  });

  it('substituteEnv leaves non-references alone', () => {
    expect(substituteEnv('{args[0]} {$} {%%} {x}', { X: '1' })).toBe('{args[0]} {$} {%%} {x}');
  });
});
