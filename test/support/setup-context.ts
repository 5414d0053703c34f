/**
 * A SetupContext for tests that call a plugin definition's setup directly (no server around it):
 * the block it pretends to be in, its role, a collected log, the closers it registered.
 *
 * Why one helper: every such test used to build the literal object by hand, so each change to
 * the contract meant editing them all, and they drifted (some dropped the log, some onClose).
 */
import type { SetupContext } from '../../src/plugin/contract.ts';
import { serverServices } from '../../src/server/services.ts';

export interface TestSetupContext extends SetupContext {
  /** Log lines as `[LEVEL] message`, in order. */
  readonly lines: string[];
  /** Reasons given to fatal(), in order (the process does not exit). */
  readonly fatals: string[];
  /** Run (and forget) the functions registered with onClose, last registered first. */
  close(): Promise<void>;
}

export function setupContext(zones: string[] = ['.'], role: SetupContext['role'] = 'single', over: Partial<SetupContext> = {}): TestSetupContext {
  const lines: string[] = [];
  const closers: Array<() => void | Promise<void>> = [];
  const fatals: string[] = [];
  const shared = over.shared ?? new Map<string, unknown>();
  const log = (level: string) => (m: string) => { lines.push(`[${level}] ${m}`); };
  return {
    block: { zones, port: 53, transport: 'dns', listenAddresses: [], server: 'dns://:53', observers: [] },
    corefile: 'Corefile', role, shared, server: serverServices(shared), env: {}, lines, fatals,
    fatal(reason) { fatals.push(reason); },
    log: { info: log('INFO'), warning: log('WARNING'), error: log('ERROR'), debug: log('DEBUG') },
    controlLog: role === 'data'
      ? { info() {}, warning() {}, error() {}, debug() {} }
      : { info: log('INFO'), warning: log('WARNING'), error: log('ERROR'), debug: log('DEBUG') },
    channel: () => ({ send() {}, onMessage() {} }),
    onClose(fn) { closers.push(fn); },
    sharedMemory: (_key: string, bytes: number) => new SharedArrayBuffer(bytes),
    async close() { for (const fn of closers.splice(0).reverse()) await fn(); },
    ...over,
  };
}
