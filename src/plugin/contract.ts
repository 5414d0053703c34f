/**
 * The plugin contract. A plugin is set up once per server block from its directive and then
 * answers queries through `serve(req, next)`: return a response Message, or return `next(req)` to
 * delegate. Plugins run in CoreDNS's plugin.cfg order (src/plugin/order.ts), never the order
 * written in the Corefile.
 *
 * `serve` may return synchronously: the hot path avoids a Promise per plugin where it can.
 *
 * The SDK boundary: a plugin imports src/plugin (this contract, side-http, log, zones, args...),
 * src/dns, src/corefile, src/metrics, its own folder and packages — never src/server or another
 * plugin (test/plugin/boundaries.test.ts checks it). What it needs of the server comes through
 * the SetupContext: ctx.server, ctx.env, ctx.fatal, ctx.controlLog, ctx.sharedMemory.
 *
 * Where it runs is declared, never branched on: a plugin is set up alike everywhere (`setup`), or
 * declares a control part and/or an answering part with parts() (src/plugin/parts.ts); its parts
 * talk through replicated() (control → answering) and reporter() (answering → control). A plugin
 * that changes a response from `next` builds the new one with derive() (src/dns/message.ts): the
 * stale `wire` is gone and the chain keeps the original writer. `next.plugin` says what follows.
 *
 * A walk-through with whoami as the example: src/plugin/README.md ("Writing a plugin").
 */
import type { Directive } from '../corefile/types.ts';
import type { Message, Question } from '../dns/types.ts';
import type { LogSink } from './log.ts';
import type { ExplainQuery, ExplainReport, Trace } from './trace.ts';

export interface Request {
  readonly msg: Message;          // the query as decoded (name case as asked)
  readonly question: Question;    // msg.questions[0]
  readonly qname: string;         // question name, lower-cased, absolute ("a.b.")
  readonly qtype: number;
  readonly qclass: number;
  readonly zone: string;          // the zone of the server block that took the query (lower-case, absolute)
  readonly protocol: 'udp' | 'tcp';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Largest response the client accepts: 512 without EDNS, else its advertised size (≥512); 65535 on TCP. */
  size: number;
  readonly do: boolean;           // EDNS DO bit
  readonly wire: Buffer;          // the query bytes as received
  /** Per-request scratch space for plugins that cooperate (e.g. metadata). */
  readonly meta: Map<string, unknown>;
  /**
   * Set only while the query is explained (GET /explain, src/plugin/trace.ts): plugins add
   * provenance notes to it. Never set from anything a client sends; absent on normal queries.
   */
  readonly trace?: Trace;
}

export type Result = Message | Promise<Message>;

/**
 * Hands the query to the rest of the chain. A plugin that changes the response it gets back builds
 * the new one with derive() (src/dns/message.ts): the chain then keeps naming the plugin that wrote
 * the original in metrics and logs, and the stale `wire` bytes are gone.
 */
export interface Next {
  (req: Request): Result;
  /**
   * The plugin this hands the query to (the next one of the block that has `serve`); undefined at
   * the end of the chain (and for a `next` a test builds by hand). forward's `next RCODE` asks it.
   */
  readonly plugin?: Plugin;
}

export interface Plugin {
  readonly name: string;
  /** In the query path: answer or delegate. Plugins without it (health, bind, ...) are skipped. */
  serve?(req: Request, next: Next): Result;
  /** For the ready plugin: false until the plugin can answer (e.g. first Kubernetes list done). */
  ready?(): boolean;
  /** Called once the server is listening (open side listeners, start timers). */
  start?(): Promise<void> | void;
  /** Release everything (sockets, timers, watches) on reload and shutdown. */
  close?(): Promise<void> | void;
}

/** What a plugin's setup sees about the server block it is in. */
export interface BlockInfo {
  readonly zones: string[];       // normalized zones of the block's keys, lower-case absolute ("cluster.local.")
  readonly port: number;
  readonly transport: 'dns';
  /** Listen addresses; the bind plugin replaces them. Empty means all interfaces. */
  listenAddresses: string[];
  /** The server's name in metrics, as CoreDNS writes it: "dns://:53", or "dns://127.0.0.1:53" with bind. */
  readonly server: string;
  /**
   * Called after each response of this block has been written (prometheus, log): the response, its size
   * on the wire, the plugin that wrote it ('' when the server did), and the start time (performance.now()).
   */
  readonly observers: ResponseObserver[];
}

export type ResponseObserver = (req: Request, res: Message, size: number, writer: string, start: number) => void;

export interface Logger {
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/**
 * A channel between the control plane (main thread: informers, file watchers) and the data plane
 * (each worker that answers queries). In single-process mode both ends live in one thread and
 * messages are delivered directly. Messages must be structured-clonable. `Out` is what this end
 * sends (and replies), `In` what it receives: the two ends of one channel swap them. The types
 * are a promise the two ends make each other, not checked on the wire; prefer replicated() and
 * reporter() (src/plugin), which hold both ends' types in one place, or typedChannel() (ends.ts).
 */
export interface Channel<Out = unknown, In = unknown> {
  send(msg: Out): void;                     // control: to every worker; data: to the control side
  onMessage(fn: (msg: In, reply: (msg: Out) => void) => void): void;
}

/**
 * What a plugin may ask of the server it runs in, typed (instead of string keys in ctx.shared).
 * Read lazily: some answers change while the server runs (reload is only possible once it serves).
 */
export interface ServerServices {
  /** Where query log lines go (the log plugin). */
  readonly logSink: LogSink;
  /** The Corefile as it is on disk now (reload); undefined when this server cannot re-read it. */
  readCorefile(): Promise<string> | undefined;
  /** Reload now if the Corefile changed (reload); undefined until the server serves: try later. */
  reload(): Promise<boolean> | undefined;
  /** A scrape of every thread's metrics, merged (prometheus). */
  metrics(): Promise<{ text: string; contentType: string }>;
  /** health's lameduck: how long shutdown keeps answering; returns the release (a reload without health drops it). */
  setLameduck(ms: number): () => void;
  /** True once shutdown began (ready then answers 503). */
  shuttingDown(): boolean;
  /** The plugins of the generation being started (ready, reload). */
  generationPlugins(): readonly Plugin[];
  /** Names of plugins that are not ready in some other answering thread ([] with one thread). */
  notReadyElsewhere(): Promise<string[]>;
  /** Run one traced query through the real query path (GET /explain); undefined until the server serves. */
  explain(q: ExplainQuery): Promise<ExplainReport> | undefined;
}

export interface SetupContext {
  readonly block: BlockInfo;
  readonly corefile: string;      // path of the Corefile ("-" for stdin)
  /**
   * 'single': everything in this thread; 'control': main thread of a multi-worker server; 'data': a worker.
   * For the server and the SDK: a plugin declares its parts (PluginDefinition) instead of reading
   * this (test/plugin/boundaries.test.ts checks it).
   */
  readonly role: 'single' | 'control' | 'data';
  /**
   * Set for the parts of a plugin with declared parts: which part this context sets up. The SDK's
   * replicated() and reporter() read it to tell the writing side from the reading one when both
   * parts live in one thread; a part knows which it is without asking.
   */
  readonly side?: 'control' | 'answering';
  /**
   * A logger for what every thread does alike but the operator should read once (a file re-read
   * in each thread): it prints in the control (or single) thread, and is silent in answering
   * threads of a multi-threaded server.
   */
  readonly controlLog: Logger;
  readonly log: Logger;           // logs as `[LEVEL] plugin/NAME: msg`
  /** The environment the server was given (ServerOptions.env), not necessarily process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The server's services (typed): log sink, reload, metrics scrape, lameduck, readiness. */
  readonly server: ServerServices;
  /** Per-process values shared by all blocks and plugins (one health listener, one metrics registry...). */
  readonly shared: Map<string, unknown>;
  /** A named channel scoped to this plugin instance (same name on control and data side). */
  channel(name: string): Channel;
  /**
   * Report that this server cannot go on (e.g. loop saw its probe come back): the server logs
   * `[FATAL] plugin/NAME: reason` and hands the event to whoever started it: the command line
   * then exits with status 1, as CoreDNS's log.Fatal; an embedder (ServerOptions.onFatal,
   * Server.fatal) decides otherwise. Never call process.exit from a plugin.
   */
  fatal(reason: string): void;
  /** Register a function run when the whole server shuts down or reloads (besides Plugin.close). */
  onClose(fn: () => void | Promise<void>): void;
  /**
   * 'serve' (the default when absent) or 'validate' (`-validate`): check the directive and
   * everything that can be checked offline (files it names, their syntax), but open nothing —
   * no API connection or watch, no listener, no upstream socket, no timer that outlives setup —
   * and call notChecked() for each thing that only the real environment could confirm.
   */
  readonly mode?: 'serve' | 'validate';
  /** In 'validate' mode: say what this plugin could not check offline (printed by -validate). */
  notChecked?(what: string): void;
  /**
   * Memory shared by every thread that runs this plugin instance (the first brick of replicated
   * state): `bytes` zero-filled bytes under `key`, scoped to this plugin instance like channel().
   * The control (or single) thread allocates it while setting up; each answering thread's setup of
   * the same Corefile gets the very same SharedArrayBuffer (handed to workers when they start or
   * reload, and to a worker that replaces a dead one). Every generation (each reload) gets fresh
   * memory; the old one is dropped with its generation. Coordinate writers with Atomics: all
   * threads run concurrently. Asking twice for a key in one instance, or for another size than the
   * control side allocated, throws.
   */
  sharedMemory(key: string, bytes: number): SharedArrayBuffer;
  /**
   * The plugin of this same server block set up from directive `name`, or undefined when the
   * block has none. Only complete once every plugin of the block is set up: call it from a
   * function given to afterSetup() or later (start, serve) — as CoreDNS's plugins look another up
   * in OnStartup. Use it through the typed capabilities of src/plugin/capabilities.ts.
   */
  peer?(name: string): Plugin | undefined;
  /**
   * Run `fn` once every plugin of this block has been set up, before the server starts (also
   * under -validate). A CorefileError it throws is reported like one thrown by setup.
   */
  afterSetup?(fn: () => void): void;
}

/**
 * Where a plugin's parts run (PluginDefinition.placement):
 * - 'everywhere': set up alike in every thread — the control thread and each answering thread, or
 *   the one thread of a single-threaded server. Most plugins: they answer queries and hold no
 *   process-wide duty.
 * - 'control': only where process-wide work runs (side HTTP listeners, reload, probes): the control
 *   thread, or the single thread. health, ready, reload.
 * - 'answering': only in threads that answer queries (the workers, or the single thread). log.
 * - 'split': a control part and an answering part (prometheus, pprof, loop, cache), which talk
 *   through replicated() (control → answering) and reporter() (answering → control).
 * The directive is checked identically in every thread whatever the placement (the same FILE:LINE
 * errors under -validate and in each thread). Declare it with parts() from src/plugin/parts.ts
 * rather than by hand.
 */
export type Placement = 'everywhere' | 'control' | 'answering' | 'split';

export interface PluginDefinition {
  readonly name: string;          // the Corefile directive
  /**
   * The directive may appear at most once per server block (CoreDNS's plugin.ErrOnce): the
   * generation rejects a second line, with one message for every plugin, before any setup.
   */
  readonly oncePerBlock?: boolean;
  /** Where the plugin runs; absent means 'everywhere'. parts() sets it. */
  readonly placement?: Placement;
  /**
   * Parse the directive and build the plugin. Throw CorefileError.at(directive, "...") for user
   * errors. Called in every thread; a plugin defined with parts() checks the directive there and
   * builds only the parts that run in that thread (the generation leaves an inert one out).
   */
  setup(directive: Directive, ctx: SetupContext): Plugin | Promise<Plugin>;
}

/** A plugin's control part: the lifecycle of a plugin, but no `serve` (the control thread answers no queries). */
export type ControlPart = Omit<Plugin, 'serve'> & { readonly serve?: never };
