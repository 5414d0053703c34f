/**
 * A data-plane worker thread: sets up the plugins with role 'data', binds its own reusePort
 * UDP/TCP sockets and answers queries. It talks to the control thread (WorkerPool) only through
 * the typed messages of src/server/messages.ts: channels, two-phase reloads (prepare, then commit
 * or abort), metrics scrapes, readiness, /explain and shutdown.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { registry } from '../metrics/registry.ts';
import { DataHub } from './channels.ts';
import { DataPlane, type PreparedSwitch } from './dataplane.ts';
import { collectNow as collectAfterReload } from '../plugin/collect.ts';
import { reduceMemoryWhenIdle } from './idle-memory.ts';
import { buildGeneration } from './generation.ts';
import { makeLogger, type LogSink } from './log.ts';
import type { FromWorker, GenerationMemory, ToWorker, WorkerInit } from './messages.ts';

/** WorkerInit and, in tests only, a fault to inject into this worker's reloads (ServerOptions.reloadFaultForTest). */
export interface WorkerData extends WorkerInit { fault?: { fail?: string; delayMs?: number } }

const port = parentPort!;
const init = workerData as WorkerData;
const post = (m: FromWorker): void => port.postMessage(m);
const sink: LogSink = { write: (line) => post({ t: 'log', line }) };
const log = makeLogger(sink);
const shared = new Map<string, unknown>();
const plane = new DataPlane(true, log);
// Hubs of the generations alive in this worker (the serving one, and one being prepared).
const hubs = new Set<DataHub>();
/** Generations being prepared or prepared, by number, until committed or aborted. */
const pending = new Map<number, Promise<{ hub: DataHub; p: PreparedSwitch }>>();

/** Build generation `gen` and prepare the switch to it; on failure nothing of it is left open. */
async function prepare(text: string, gen: number, memory: GenerationMemory | undefined, first: boolean): Promise<{ hub: DataHub; p: PreparedSwitch }> {
  const hub = new DataHub(`g${gen}:`, port);
  hubs.add(hub);
  try {
    if (!first && init.fault) {
      // Tests only (ServerOptions.reloadFaultForTest): a slow worker, or one that cannot prepare.
      if (init.fault.delayMs) await new Promise((r) => setTimeout(r, init.fault!.delayMs));
      if (init.fault.fail !== undefined) throw new Error(init.fault.fail);
    }
    const g = await buildGeneration({
      text, file: init.file, dnsPort: init.dnsPort, role: 'data', sink, shared, hub, env: init.env, memory,
      fatal: (line) => post({ t: 'fatal', line }),
    });
    try {
      return { hub, p: await plane.prepare(g) };
    } catch (e) {
      await g.close();
      throw e;
    }
  } catch (e) {
    hubs.delete(hub);
    throw e;
  }
}

async function commit(gen: number): Promise<void> {
  const job = pending.get(gen);
  pending.delete(gen);
  if (!job) throw new Error(`generation ${gen} was not prepared`);
  const { hub, p } = await job;
  for (const h of hubs) if (h !== hub) hubs.delete(h);
  await plane.commit(p);
}

async function abort(gen: number): Promise<void> {
  const job = pending.get(gen);
  pending.delete(gen);
  let prepared;
  try { prepared = await job; } catch { return; /* its prepare failed: it closed what it built */ }
  if (!prepared) return;
  hubs.delete(prepared.hub);
  await plane.abort(prepared.p);
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'ch': for (const h of hubs) h.receive(m); break;
    case 'prepare': {
      const job = prepare(m.text, m.gen, m.memory, false);
      pending.set(m.gen, job);
      job.then(
        () => post({ t: 'prepared', gen: m.gen }),
        (e: unknown) => post({ t: 'prepared', gen: m.gen, error: (e as Error).message }),
      );
      break;
    }
    case 'commit':
      commit(m.gen).then(
        () => { post({ t: 'committed', gen: m.gen }); collectAfterReload(); },
        (e: unknown) => { log.error(`switching to the new Corefile failed: ${(e as Error).message}`); post({ t: 'committed', gen: m.gen }); },
      );
      break;
    case 'abort':
      abort(m.gen).then(() => post({ t: 'aborted', gen: m.gen }), () => post({ t: 'aborted', gen: m.gen }));
      break;
    case 'metrics':
      registry.getMetricsAsJSON().then((json) => post({ t: 'metrics', id: m.id, json }));
      break;
    case 'notReady':
      post({ t: 'notReady', id: m.id, names: plane.notReady() });
      break;
    case 'explain':
      plane.explain(m.q).then(
        (report) => post({ t: 'explained', id: m.id, report }),
        (e: unknown) => post({ t: 'explained', id: m.id, error: (e as Error).message }),
      );
      break;
    case 'crash':
      // Only for tests: an uncaught exception, to prove the control thread replaces a dead worker.
      setImmediate(() => { throw new Error('worker crash requested'); });
      break;
    case 'stop':
      plane.stop().then(() => post({ t: 'stopped' }));
      break;
    default: {
      const never: never = m;
      log.error(`worker: unknown message ${JSON.stringify(never)}`);
    }
  }
});

if (init.reduceMemoryWhenIdle) reduceMemoryWhenIdle();   // unref'd: it never keeps the thread alive
const first = init.memory;
init.memory = undefined;  // workerData lives as long as the thread: let a reload free the first generation's memory
const firstJob = prepare(init.text, init.gen, first, true);
pending.set(init.gen, firstJob);
firstJob.then(() => commit(init.gen)).then(
  () => post({ t: 'listening', listeners: plane.bound }),
  (e: unknown) => post({ t: 'startFailed', error: (e as Error).message }),
);
