/**
 * `npm run bench`: every benchmark under test/bench, one after the other, each printing its own
 * table. Run on an otherwise idle machine; the figures in README.md come from this command.
 *   npm run bench              all of them
 *   npm run bench -- server    only those whose file name contains "server"
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const skip = new Set(['run.ts', 'dnsperf.ts']);
const benches = readdirSync(dir).filter((f) => f.endsWith('.ts') && !skip.has(f) && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
let failed = 0;
for (const f of benches) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, [`${dir}${f}`], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`(${f} exited with ${r.status})`); }
}
process.exitCode = failed ? 1 : 0;
