/**
 * A data-plane worker thread: sets up the plugins with role 'data', binds its own reusePort
 * UDP/TCP sockets and answers queries. It talks to the main thread for channels, reloads,
 * metrics scrapes and shutdown.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { registry } from '../metrics/registry.ts';
import { DataHub, type Envelope } from './channels.ts';
import { DataPlane } from './dataplane.ts';
import { collectAfterReload } from './gc.ts';
import { buildGeneration } from './generation.ts';
import { makeLogger, type LogSink } from './log.ts';
import type { ExplainCommand, ExplainReply } from './explain-bridge.ts';

/** `memory`: the control generation's shared memory (SetupContext.sharedMemory), for this generation. */
type Memory = ReadonlyMap<string, SharedArrayBuffer>;
interface Init { text: string; file: string; dnsPort: number; gen: number; env: NodeJS.ProcessEnv; memory?: Memory }
type Command =
  | Envelope
  | { t: 'reload'; text: string; gen: number; memory: Memory }
  | { t: 'metrics'; id: number }
  | { t: 'ready?'; id: number }
  | { t: 'stop' }
  | { t: 'crash' }
  | ExplainCommand;

const port = parentPort!;
const init = workerData as Init;
const sink: LogSink = { write: (line) => port.postMessage({ t: 'log', line }) };
const log = makeLogger(sink);
const shared = new Map<string, unknown>();
const plane = new DataPlane(true, log);
// Hubs of the generations alive in this worker (the serving one, and one being built during a reload).
const hubs = new Set<DataHub>();

async function load(text: string, gen: number, memory: Memory | undefined): Promise<void> {
  const nextHub = new DataHub(`g${gen}:`, port);
  hubs.add(nextHub);
  try {
    const g = await buildGeneration({ text, file: init.file, dnsPort: init.dnsPort, role: 'data', sink, shared, hub: nextHub, env: init.env, memory });
    try {
      await plane.apply(g);
    } catch (e) {
      await g.close();
      throw e;
    }
    for (const h of hubs) if (h !== nextHub) hubs.delete(h);
  } catch (e) {
    hubs.delete(nextHub);
    throw e;
  }
}

port.on('message', (m: Command) => {
  switch (m.t) {
    case 'ch': for (const h of hubs) h.receive(m); break;
    case 'reload':
      load(m.text, m.gen, m.memory).then(
        () => { port.postMessage({ t: 'reloaded', gen: m.gen }); collectAfterReload(); },
        (e: unknown) => port.postMessage({ t: 'reloaded', gen: m.gen, error: (e as Error).message }),
      );
      break;
    case 'metrics':
      registry.getMetricsAsJSON().then((json) => port.postMessage({ t: 'metrics', id: m.id, json }));
      break;
    case 'ready?':
      port.postMessage({ t: 'ready', id: m.id, notReady: plane.notReady() });
      break;
    case 'explain':
      plane.explain(m.q).then(
        (report) => port.postMessage({ t: 'explained', id: m.id, report } satisfies ExplainReply),
        (e: unknown) => port.postMessage({ t: 'explained', id: m.id, error: (e as Error).message } satisfies ExplainReply),
      );
      break;
    case 'crash':
      // Only for tests: an uncaught exception, to prove the main thread replaces a dead worker.
      setImmediate(() => { throw new Error('worker crash requested'); });
      break;
    case 'stop':
      plane.stop().then(() => port.postMessage({ t: 'stopped' }));
      break;
  }
});

const first = init.memory;
init.memory = undefined;  // workerData lives as long as the thread: let a reload free the first generation's memory
load(init.text, init.gen, first).then(
  () => port.postMessage({ t: 'ready', listeners: plane.bound }),
  (e: unknown) => port.postMessage({ t: 'failed', error: (e as Error).message }),
);
