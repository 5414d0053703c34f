/**
 * One generation of the server: the Corefile parsed, every plugin of every block set up, and the
 * listeners it wants (address:port → blocks). A reload builds a new generation beside the old one
 * and only switches when the new one set up completely.
 */
import { checkDuplicateZones, parseCorefile, parseServerKeys } from '../corefile/index.ts';
import type { Directive } from '../corefile/types.ts';
import { CorefileError } from '../corefile/types.ts';
import type { BlockInfo, Channel, Logger, Plugin, ResponseObserver, SetupContext } from '../plugin/contract.ts';
import { orderOf } from '../plugin/order.ts';
import { onlyOncePerBlock } from '../plugin/args.ts';
import { runsIn } from '../plugin/parts.ts';
import { loadPlugins } from '../plugin/registry.ts';
import { pluginEnabled } from '../metrics/dns.ts';
import type { BlockRuntime } from './handler.ts';
import { buildChain } from './chain.ts';
import { makeLogger, type LogSink } from './log.ts';
import { SHARED } from './shared.ts';
import { logFatal, type FatalHandler } from './fatal.ts';
import { serverServices } from './services.ts';

export type Role = SetupContext['role'];

/** Routes channel messages between the control side and the data side (see server/channels.ts). */
export interface ChannelHub {
  open(key: string): Channel;
}

export interface GenerationOptions {
  text: string;
  file: string;
  dnsPort: number;
  role: Role;
  sink: LogSink;
  shared: Map<string, unknown>;
  hub: ChannelHub;
  env?: NodeJS.ProcessEnv;
  /** 'validate' builds for `-validate`: plugins check offline and open nothing (SetupContext.mode). */
  mode?: 'serve' | 'validate';
  /** Receives, in validate mode, one `FILE:LINE: plugin: what` line per thing not checked offline. */
  notChecked?: (line: string) => void;
  /** role 'data': the shared memory the control side's generation allocated (Generation.memory). */
  memory?: ReadonlyMap<string, SharedArrayBuffer>;
  /** Receives a plugin's `[FATAL] plugin/NAME: reason` line (SetupContext.fatal); default: log it (src/server/fatal.ts). */
  fatal?: FatalHandler;
}

export interface ListenSpec { address: string; port: number; optional: boolean; blocks: BlockRuntime[] }

export interface Generation {
  readonly blocks: BlockRuntime[];
  readonly infos: BlockInfo[];
  readonly listens: ListenSpec[];
  readonly plugins: Plugin[];
  /** The plugins' shared memory by key (SetupContext.sharedMemory): allocated here unless role 'data'. */
  readonly memory: ReadonlyMap<string, SharedArrayBuffer>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when a Corefile has one or more user errors; `errors` holds each `FILE:LINE: ...`. */
export class ConfigErrors extends Error {
  readonly errors: CorefileError[];
  constructor(errors: CorefileError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

const silent: Logger = { info() {}, warning() {}, error() {}, debug() {} };

function serverLabel(addresses: string[], port: number): string {
  const a = addresses[0] ?? '';
  return `dns://${a.includes(':') ? `[${a}]` : a}:${port}`;
}

export async function buildGeneration(o: GenerationOptions): Promise<Generation> {
  const errors: CorefileError[] = [];
  let configs;
  try {
    configs = parseCorefile(o.text, o.file, { env: o.env ?? process.env });
    checkDuplicateZones(configs, o.dnsPort);
  } catch (e) {
    if (e instanceof CorefileError) throw new ConfigErrors([e]);
    throw e;
  }
  // Only the plugins this Corefile uses are loaded (src/plugin/registry.ts).
  const defs = await loadPlugins(configs.flatMap((c) => c.directives.map((d) => d.name)));
  const blocks: BlockRuntime[] = [];
  const infos: BlockInfo[] = [];
  const plugins: Plugin[] = [];
  const closers: (() => void | Promise<void>)[] = [];
  const blockPorts: number[][] = [];
  const enabledNames: string[][] = [];
  const memory = new Map<string, SharedArrayBuffer>();
  const askedBy = new Set<string>();
  const server = serverServices(o.shared);
  // The two parts of a plugin (src/plugin/parts.ts) each ask once; in one thread they share it.
  const sharedMemory = (key: string, bytes: number, side: string): SharedArrayBuffer => {
    if (askedBy.has(`${key}|${side}`)) throw new Error(`shared memory '${key}' asked for twice`);
    askedBy.add(`${key}|${side}`);
    let m = memory.get(key);
    if (m) {
      if (m.byteLength !== bytes) throw new Error(`shared memory '${key}' has ${m.byteLength} bytes, not ${bytes}`);
      return m;
    }
    if (o.role === 'data') {
      m = o.memory?.get(key);
      if (!m) throw new Error(`no shared memory '${key}' from the control thread`);
      if (m.byteLength !== bytes) throw new Error(`shared memory '${key}' has ${m.byteLength} bytes, not ${bytes}`);
    } else {
      m = new SharedArrayBuffer(bytes);
    }
    memory.set(key, m);
    return m;
  };
  for (const [bi, cfg] of configs.entries()) {
    let keys;
    try {
      keys = parseServerKeys(cfg, o.dnsPort);
    } catch (e) {
      if (e instanceof CorefileError) { errors.push(e); continue; }
      throw e;
    }
    const zones = [...new Set(keys.map((k) => k.zone))];
    const ports = [...new Set(keys.map((k) => k.port))];
    const observers: ResponseObserver[] = [];
    const info: BlockInfo = {
      zones, port: ports[0]!, transport: 'dns', listenAddresses: [], observers,
      get server() { return serverLabel(this.listenAddresses, this.port); },
    };
    const ordered: [number, Directive][] = [];
    const once = new Map<string, Directive>();
    for (const d of cfg.directives) {
      const rank = orderOf(d.name);
      const first = once.get(d.name);
      if (first) {
        errors.push(onlyOncePerBlock(d, first));
      } else if (rank === undefined) {
        errors.push(CorefileError.at(d, `unknown directive '${d.name}' — check the spelling; clusterdns accepts CoreDNS's plugin names (run with -plugins to list them)`));
      } else if (!defs.has(d.name)) {
        errors.push(CorefileError.at(d, `plugin '${d.name}' is a CoreDNS plugin that clusterdns does not support yet — remove it (see -plugins for the supported list)`));
      } else {
        ordered.push([rank, d]);
        if (defs.get(d.name)!.oncePerBlock) once.set(d.name, d);
      }
    }
    ordered.sort((a, b) => a[0] - b[0]);
    const blockPlugins: Plugin[] = [];
    const enabled: string[] = [];    // every directive set up, wherever its parts run (coredns_plugin_enabled)
    const byDirective = new Map<string, Plugin>();
    const afterSetup: [Directive, () => void][] = [];
    const errorsBefore = errors.length;
    for (const [di, [, d]] of ordered.entries()) {
      const def = defs.get(d.name)!;
      const log = makeLogger(o.sink, d.name);
      const ctx: SetupContext = {
        block: info, corefile: o.file, role: o.role, log, shared: o.shared, env: o.env ?? process.env, server,
        controlLog: o.role === 'data' ? silent : log,
        channel: (name) => o.hub.open(`${bi}/${di}/${d.name}/${name}`),
        onClose: (fn) => { closers.push(fn); },
        fatal: (reason) => (o.fatal ?? logFatal(o.sink))(`[FATAL] plugin/${d.name}: ${reason}`),
        mode: o.mode ?? 'serve',
        notChecked: (what) => o.notChecked?.(`${d.file}:${d.line}: ${d.name}: ${what}`),
        sharedMemory(this: SetupContext | undefined, name, bytes) { return sharedMemory(`${bi}/${di}/${d.name}/${name}`, bytes, this?.side ?? ''); },
        peer: (name) => byDirective.get(name),
        afterSetup: (fn) => { afterSetup.push([d, fn]); },
      };
      try {
        // Set up in every thread (the directive is checked alike everywhere); kept only where it runs.
        const p = await def.setup(d, ctx);
        enabled.push(d.name);
        if (!runsIn(def.placement, o.role)) continue;
        blockPlugins.push(p);
        if (!byDirective.has(d.name)) byDirective.set(d.name, p);
      } catch (e) {
        if (e instanceof CorefileError) errors.push(e);
        else errors.push(CorefileError.at(d, `${d.name}: ${(e as Error).message ?? String(e)}`));
      }
    }
    // Cross-plugin checks only make sense once every plugin of the block set up without error.
    if (errors.length === errorsBefore) for (const [d, fn] of afterSetup) {
      try {
        fn();
      } catch (e) {
        if (e instanceof CorefileError) errors.push(e);
        else errors.push(CorefileError.at(d, `${d.name}: ${(e as Error).message ?? String(e)}`));
      }
    }
    plugins.push(...blockPlugins);
    const runtime: BlockRuntime = {
      zones, get server() { return info.server; }, plugins: blockPlugins, observers,
      chain: buildChain(blockPlugins, observers.length > 0),
    };
    blocks.push(runtime);
    enabledNames.push(enabled);
    infos.push(info);
    blockPorts.push(ports);
  }
  const closeAll = async () => {
    for (const p of plugins) {
      try { await p.close?.(); } catch { /* a plugin that fails to close must not stop the others */ }
    }
    for (const fn of closers) {
      try { await fn(); } catch { /* as above */ }
    }
  };
  if (errors.length > 0) {
    await closeAll();
    throw new ConfigErrors(errors);
  }
  // Listeners: one per address:port, shared by the blocks on it.
  const specs = new Map<string, ListenSpec>();
  for (const [i, info] of infos.entries()) {
    const addrs = info.listenAddresses.length > 0 ? info.listenAddresses.map((a) => [a, false] as const)
      : [['0.0.0.0', false] as const, ['::', true] as const];
    for (const port of blockPorts[i]!) {
      for (const [address, optional] of addrs) {
        const key = `${address}|${port}`;
        const spec = specs.get(key) ?? { address, port, optional, blocks: [] };
        spec.blocks.push(blocks[i]!);
        specs.set(key, spec);
      }
    }
  }
  if (o.role !== 'data' && o.mode !== 'validate') for (const [i, info] of infos.entries()) {
    for (const name of enabledNames[i]!) for (const z of info.zones) pluginEnabled().set({ server: info.server, zone: z, view: '', name }, 1);
  }
  return {
    blocks, infos, plugins, listens: [...specs.values()], memory,
    async start() {
      o.shared.set(SHARED.generationPlugins, plugins);
      for (const p of plugins) await p.start?.();
    },
    close: closeAll,
  };
}
