// Go (RE2) patterns as Corefiles write them, compiled to JavaScript: what carries over, what is refused.
import { describe, expect, it } from 'vitest';
import { compileGoRegexp, findStringSubmatch, GoRegexpError, numSubexp } from '../../src/plugin/goregexp.ts';

describe('compileGoRegexp', () => {
  it.each([
    ['(?P<name>[a-z]+)\\.example\\.', 'web.example.', ['web.example.', 'web']],
    ['^(?P<a>[0-9]*)\\.(?P<b>[0-9]*)\\.example[.]$', '10.64.example.', ['10.64.example.', '10', '64']],
    ['(?i)^WEB\\.', 'web.example.', ['web.']],
    ['\\Aa\\.b\\z', 'a.b', ['a.b']],
    ['[[:digit:]]+-[[:alpha:]]+', 'ip-10-x', ['10-x']],
    ['\\Qa.b\\E', 'axb a.b', ['a.b']],
    ['[]a]+', 'x]a]', [']a]']],
    ['(a)|(b)', 'b', ['b', '', 'b']],
    ['(?i:AB)c', 'abc', ['abc']],
  ])('%s on %s', (src, input, groups) => {
    expect(findStringSubmatch(compileGoRegexp(src), input)).toEqual(groups);
  });

  it('counts groups as Go NumSubexp does', () => {
    expect(numSubexp(compileGoRegexp('(a)(?:b)(?P<c>c)'))).toBe(2);
  });

  it.each(['(a)\\1', '(?=a)', '(?!a)', '(?<=a)b', '(?U)a+', '\\pL', '[[:bogus:]]', '(', 'a)'])('refuses %s', (src) => {
    expect(() => compileGoRegexp(src)).toThrow(GoRegexpError);
  });
});
