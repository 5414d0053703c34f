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

// Placement is declared (PluginDefinition via parts(), src/plugin/parts.ts), never branched on:
// no plugin reads ctx.role, nor asks a replicated value which side it is on (`.writer`).

/** The places in a source text that read a setup context's role (`ctx.role`, `this.ctx.role`, `{ role } = ctx`...). */
function roleReads(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');   // comments may say the word
  return [
    ...code.matchAll(/\b\w*ctx\w*\s*(?:\?\.|\.)\s*role\b/gi),
    ...code.matchAll(/\{[^}]*\brole\b[^}]*\}\s*=\s*\w*ctx\b/gi),
    ...code.matchAll(/\[\s*['"]role['"]\s*\]/g),
    ...code.matchAll(/\.\s*writer\b/g),
  ].map((m) => m[0]);
}

describe('declared placement', () => {
  it('no plugin reads ctx.role or branches on a replicated value\'s writer side', () => {
    const bad: string[] = [];
    for (const file of files(join(ROOT, 'plugins'))) {
      for (const r of roleReads(readFileSync(file, 'utf8'))) bad.push(`${relative('.', file)}: ${r}`);
    }
    expect(bad).toEqual([]);
  });

  it('no plugin reads the per-process map directly (processState() with a declared key instead)', () => {
    const bad: string[] = [];
    for (const file of files(join(ROOT, 'plugins'))) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/\bshared\s*(?:\?\.|\.)\s*(?:get|set|has|delete)\s*\(/g)) bad.push(`${relative('.', file)}: ${m[0]}`);
    }
    expect(bad).toEqual([]);
  });

  it('the check sees a read of the role', () => {
    expect(roleReads("if (ctx.role === 'data') return;")).toHaveLength(1);
    expect(roleReads("const w = this.ctx?.role !== 'control';")).toHaveLength(1);
    expect(roleReads('const { role, log } = ctx;')).toHaveLength(1);
    expect(roleReads("x = ctx['role'];")).toHaveLength(1);
    expect(roleReads('if (file.writer) watcher.loadSync();')).toHaveLength(1);
    expect(roleReads('// branches on ctx.role are gone\nconst side = ctx.side;')).toHaveLength(0);
    // and it would catch the branches removed from the plugins (as they were before)
    expect(roleReads("reportsEntries: ctx.role !== 'data',")).toHaveLength(1);
  });
});
