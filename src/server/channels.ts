/**
 * Channels between the control plane (main thread) and the data plane (worker threads).
 * A key names one plugin instance in one generation, so both sides, having parsed the same
 * Corefile, meet on the same key. In single-thread mode a plugin holds both ends itself and
 * the loopback hub just delivers to the handlers registered in this thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Channel } from '../plugin/contract.ts';
import type { ChannelHub } from './generation.ts';

export interface Envelope { t: 'ch'; key: string; msg: unknown }
type Handler = (msg: unknown, reply: (msg: unknown) => void) => void;

export class LoopbackHub implements ChannelHub {
  private readonly handlers = new Map<string, Handler[]>();
  open(key: string): Channel {
    const list = this.handlers.get(key) ?? [];
    this.handlers.set(key, list);
    const deliver = (msg: unknown) => queueMicrotask(() => { for (const h of list) h(msg, deliver); });
    return { send: deliver, onMessage: (fn) => { list.push(fn); } };
  }
}

/** The control side: `send` broadcasts to every worker; a reply goes to the one that asked. */
export class ControlHub implements ChannelHub {
  private readonly handlers = new Map<string, Handler[]>();
  private readonly prefix: string;
  readonly ports: Set<MessagePort | { postMessage(m: unknown): void }>;
  constructor(prefix: string, ports: Set<{ postMessage(m: unknown): void }>) { this.prefix = prefix; this.ports = ports; }
  open(key: string): Channel {
    const k = this.prefix + key;
    const list = this.handlers.get(k) ?? [];
    this.handlers.set(k, list);
    return {
      send: (msg) => { for (const p of this.ports) p.postMessage({ t: 'ch', key: k, msg } satisfies Envelope); },
      onMessage: (fn) => { list.push(fn); },
    };
  }
  /** Deliver a message a worker sent. */
  receive(env: Envelope, from: { postMessage(m: unknown): void }): void {
    const list = this.handlers.get(env.key);
    if (!list) return;
    const reply = (msg: unknown) => from.postMessage({ t: 'ch', key: env.key, msg } satisfies Envelope);
    for (const h of list) h(env.msg, reply);
  }
}

/** The data side (a worker): `send` goes to the control side. */
export class DataHub implements ChannelHub {
  private readonly handlers = new Map<string, Handler[]>();
  private readonly prefix: string;
  private readonly port: { postMessage(m: unknown): void };
  constructor(prefix: string, port: { postMessage(m: unknown): void }) { this.prefix = prefix; this.port = port; }
  open(key: string): Channel {
    const k = this.prefix + key;
    const list = this.handlers.get(k) ?? [];
    this.handlers.set(k, list);
    const send = (msg: unknown) => this.port.postMessage({ t: 'ch', key: k, msg } satisfies Envelope);
    return { send, onMessage: (fn) => { list.push(fn); } };
  }
  receive(env: Envelope): void {
    const list = this.handlers.get(env.key);
    if (!list) return;
    const reply = (msg: unknown) => this.port.postMessage({ t: 'ch', key: env.key, msg } satisfies Envelope);
    for (const h of list) h(env.msg, reply);
  }
}
