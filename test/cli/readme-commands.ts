/**
 * The README's quick-start commands, read out of README.md so a test breaks when the README drifts
 * from what `npm start` serves. In the block of `dig`/`curl` lines, each line is a shell command
 * followed by `# EXPECTED  (why)`: EXPECTED is one or more fragments separated by "; ", and each
 * must appear in what the command prints (whitespace runs compared as one space).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReadmeCommand { line: string; command: string; expected: string[] }

/** The `sh` code blocks of the README's "## Quick start" section. */
export function quickStartBlocks(root: string): string[][] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start');
  if (start < 0) throw new Error('README.md has no "## Quick start" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n').filter((l) => l.trim()));
}

/** The block of commands to try against a running `npm start`: every line a dig or curl with an expectation. */
export function quickStartCommands(root: string): ReadmeCommand[] {
  const block = quickStartBlocks(root).find((b) => b.some((l) => /^(dig|curl) /.test(l)));
  if (!block) throw new Error('README.md\'s quick start has no block of dig/curl commands');
  return block.map((line) => {
    const m = /^(.*?\S)\s+#\s+(.*)$/.exec(line);
    if (!m) throw new Error(`README.md quick start: "${line}" has no "# EXPECTED" comment`);
    const expected = m[2]!.split(/\s{2,}\(/)[0]!.split('; ').map((f) => f.trim()).filter(Boolean);
    return { line, command: m[1]!, expected };
  });
}

const squash = (s: string) => s.replace(/\s+/g, ' ');

/** Run one command as a shell would from the repository root; what it printed and what is missing. */
export function runReadmeCommand(c: ReadmeCommand, root: string): { output: string; missing: string[]; status: number | null } {
  const r = spawnSync('bash', ['-c', c.command], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  const output = `${r.stdout}${r.stderr}`;
  return { output, status: r.status, missing: c.expected.filter((f) => !squash(output).includes(squash(f))) };
}
