/**
 * Every message between the control thread (WorkerPool, src/server/pool.ts) and a data-plane
 * worker (src/server/worker.ts), as two discriminated unions: what the control side posts
 * (ToWorker) and what a worker posts back (FromWorker). Both sides import these types, so a
 * renamed field or a forgotten case is a compile error instead of a message nobody reads; each
 * `t` means one thing (readiness of the first generation and the answer to "which plugins are not
 * ready?" are two types, not one 'ready').
 *
 * Reloads are two-phase, so that they are all-or-nothing across threads: `prepare` builds and
 * starts the new generation beside the serving one (opening any new listener) and answers
 * `prepared`; only when every thread prepared does the control side send `commit` (switch, then
 * drain and close the previous generation); if any failed, `abort` closes what was built and the
 * serving generation never changed.
 */
import type { registry } from '../metrics/registry.ts';
import type { BoundListener } from './dataplane.ts';
import type { Envelope } from './channels.ts';
import type { ExplainQuery, ExplainReport } from './explain.ts';

/** The control generation's shared memory (SetupContext.sharedMemory), handed to the workers' generation. */
export type GenerationMemory = ReadonlyMap<string, SharedArrayBuffer>;
/** One thread's registry as prom-client JSON, for AggregatorRegistry.aggregate. */
export type MetricsJSON = Awaited<ReturnType<typeof registry.getMetricsAsJSON>>;

/** workerData: what a new worker loads first (the committed generation). */
export interface WorkerInit {
  text: string;
  file: string;
  dnsPort: number;
  gen: number;
  env: NodeJS.ProcessEnv;
  memory?: GenerationMemory;
  reduceMemoryWhenIdle?: boolean;   // src/server/idle-memory.ts in this worker
}

export type ToWorker =
  | Envelope                                                          // a plugin channel message
  | { t: 'prepare'; gen: number; text: string; memory: GenerationMemory } // build + start generation `gen`
  | { t: 'commit'; gen: number }                                      // serve `gen`, close the previous one
  | { t: 'abort'; gen: number }                                       // close `gen` (built or still building)
  | { t: 'metrics'; id: number }
  | { t: 'notReady'; id: number }                                     // which serving plugins are not ready?
  | { t: 'explain'; id: number; q: ExplainQuery }
  | { t: 'stop' }
  | { t: 'crash' };                                                   // tests only: die of an uncaught exception

export type FromWorker =
  | Envelope
  | { t: 'log'; line: string }
  | { t: 'listening'; listeners: BoundListener[] }                    // the first generation serves
  | { t: 'startFailed'; error: string }                               // ... or could not
  | { t: 'prepared'; gen: number; error?: string }
  | { t: 'committed'; gen: number }
  | { t: 'aborted'; gen: number }
  | { t: 'metrics'; id: number; json: MetricsJSON }
  | { t: 'notReady'; id: number; names: string[] }
  | { t: 'explained'; id: number; report?: ExplainReport; error?: string }
  | { t: 'stopped' }
  | { t: 'fatal'; line: string };                                     // a plugin's ctx.fatal in this thread

/** The FromWorker message of type `T`. */
export type Reply<T extends FromWorker['t']> = Extract<FromWorker, { t: T }>;
