// The SDK boundary, checked on the source: a plugin imports only src/plugin (the SDK), src/dns,
// src/corefile, src/metrics, its own folder and packages — never src/server or another plugin.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('src');
const ALLOWED = ['plugin', 'dns', 'corefile', 'metrics', 'version.ts'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative module a file imports or re-exports (static and dynamic), resolved. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

describe('plugin boundaries', () => {
  it('no plugin imports src/server or another plugin', () => {
    const bad: string[] = [];
    for (const file of files(join(ROOT, 'plugins'))) {
      const own = relative(join(ROOT, 'plugins'), file).split('/')[0]!;
      for (const target of imports(file)) {
        const [top, name] = relative(ROOT, target).split('/');
        if (top === 'plugins' ? name === own : ALLOWED.includes(top!)) continue;
        bad.push(`${relative('.', file)} → ${relative('.', target)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the check sees a violation', () => {
    // the same scan over a module of the server, which may import anything, finds server imports
    const seen = imports(join(ROOT, 'server', 'generation.ts')).map((t) => relative(ROOT, t).split('/')[0]);
    expect(seen).toContain('server');
    expect(seen).toContain('plugin');
  });
});
