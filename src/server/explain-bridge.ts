/**
 * /explain with worker threads: the prometheus listener lives on the control thread, the plugins
 * that answer (with their data) in the workers. The control thread hands the query to one worker
 * over its existing message port — as /metrics scrapes do — and the worker runs it through its own
 * serving generation (DataPlane.explain) and posts the report back. Nothing goes over the network
 * and no DNS message can ask for a trace, so no outside client can trigger tracing or read one.
 *
 * Workers are taken in turn; a worker that exits or does not answer in time gives an error.
 */
import type { Worker } from 'node:worker_threads';
import type { ExplainQuery, ExplainReport } from './explain.ts';

/** The message the control thread posts, and the worker's reply (emitted on the Worker as `x:explained`). */
export interface ExplainCommand { t: 'explain'; id: number; q: ExplainQuery }
export interface ExplainReply { t: 'explained'; id: number; report?: ExplainReport; error?: string }

const TIMEOUT_MS = 15_000;
let lastId = 0;
let turn = 0;

/** Ask one of `pool`'s workers to explain `q`. */
export function explainInWorker(pool: readonly Worker[], q: ExplainQuery): Promise<ExplainReport> {
  if (pool.length === 0) return Promise.reject(new Error('no worker is running'));
  const w = pool[turn++ % pool.length]!;
  const id = ++lastId;
  return new Promise<ExplainReport>((resolve, reject) => {
    const done = () => { clearTimeout(timer); w.off('x:explained', onReply); w.off('x:gone', onGone); };
    const onReply = (m: ExplainReply) => {
      if (m.id !== id) return;
      done();
      if (m.report) resolve(m.report); else reject(new Error(m.error ?? 'explain failed'));
    };
    const onGone = () => { done(); reject(new Error('the worker exited')); };
    const timer = setTimeout(() => { done(); reject(new Error(`no answer from the worker within ${TIMEOUT_MS / 1000}s`)); }, TIMEOUT_MS);
    w.on('x:explained', onReply);
    w.on('x:gone', onGone);
    w.postMessage({ t: 'explain', id, q } satisfies ExplainCommand);
  });
}
