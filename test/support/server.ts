/**
 * Start a real clusterdns server in this process for a test: the Corefile (and any extra files)
 * are written to a fresh temp dir, blocks that name no port get a free one, and log lines are
 * captured. Queries then go over real sockets on 127.0.0.1.
 */
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startServer, type FatalEvent, type Server, type ServerOptions } from '../../src/server/index.ts';
import { freePort } from './ports.ts';

export interface TestServer {
  port: number;
  dir: string;
  corefilePath: string;
  logs: string[];
  server: Server;
  stop(): Promise<void>;
  reload(text?: string): Promise<boolean>;
}

export interface TestServerOptions {
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  workers?: number;
  port?: number;
  echoLogs?: boolean;
  /** Receives fatal events (a plugin's [FATAL] line, workers that keep dying); the process never exits. */
  onFatal?: (e: FatalEvent) => void;
  reloadTimeoutMs?: number;
  reloadFaultForTest?: ServerOptions['reloadFaultForTest'];
}

export async function startTestServer(corefile: string, o: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterdns-'));
  for (const [name, content] of Object.entries(o.files ?? {})) {
    const p = join(dir, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  const corefilePath = join(dir, 'Corefile');
  await writeFile(corefilePath, corefile);
  const port = o.port ?? await freePort();
  const logs: string[] = [];
  const server = await startServer({
    corefilePath, dnsPort: port, workers: o.workers ?? 1, quiet: true,
    env: { ...process.env, ...o.env }, onFatal: o.onFatal, reloadTimeoutMs: o.reloadTimeoutMs, reloadFaultForTest: o.reloadFaultForTest,
    sink: { write: (line) => { logs.push(line); if (o.echoLogs) process.stdout.write(line + '\n'); } },
  });
  return {
    port, dir, corefilePath, logs, server,
    async stop() { await server.stop(); await rm(dir, { recursive: true, force: true }); },
    async reload(text?: string) {
      if (text !== undefined) await writeFile(corefilePath, text);
      return server.reload();
    },
  };
}
