/**
 * `npm run bench`: every benchmark under test/bench, one after the other, each printing its own
 * table. Run on an otherwise idle machine; the figures in README.md come from this command.
 *   npm run bench              all of them
 *   npm run bench -- server    only those whose file name contains "server"
 *   npm run bench -- footprint --rounds 1    options from the first `--` one on go to each bench run
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const only = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
const skip = new Set(['run.ts', 'dnsperf.ts']);
const benches = readdirSync(dir).filter((f) => f.endsWith('.ts') && !skip.has(f) && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
let failed = 0;
for (const f of benches) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, [`${dir}${f}`, ...options], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`(${f} exited with ${r.status})`); }
}
process.exitCode = failed ? 1 : 0;
