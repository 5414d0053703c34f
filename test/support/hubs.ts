/**
 * The server's own control and data hubs (src/server/channels.ts) joined by real MessagePorts,
 * as src/server wires a control thread to its workers: for tests of the SDK's cross-thread
 * primitives (replicated, reporter, typed channels) without starting worker threads.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ControlHub, DataHub, type Envelope } from '../../src/server/channels.ts';

export interface HubPair {
  /** The control side's context for plugin instance `key` ("0/0/NAME"). */
  control(key: string): { role: 'control'; channel: (n: string) => ReturnType<ControlHub['open']> };
  /** A new worker attached to the control side; its context for plugin instance `key`. */
  worker(key: string): { role: 'data'; channel: (n: string) => ReturnType<DataHub['open']> };
  /** Close every port. */
  close(): void;
}

export function hubPair(prefix = 'g1/'): HubPair {
  const attached = new Set<MessagePort>();
  const ports: MessagePort[] = [];
  const hub = new ControlHub(prefix, attached);
  return {
    control: (key) => ({ role: 'control', channel: (n) => hub.open(`${key}/${n}`) }),
    worker: (key) => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      const data = new DataHub(prefix, port2);
      port2.on('message', (m: Envelope) => data.receive(m));
      port1.on('message', (m: Envelope) => hub.receive(m, port1));
      attached.add(port1);
      return { role: 'data', channel: (n) => data.open(`${key}/${n}`) };
    },
    close: () => { for (const p of ports.splice(0)) p.close(); },
  };
}
