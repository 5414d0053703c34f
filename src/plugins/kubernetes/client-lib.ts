/**
 * The parts of @kubernetes/client-node this plugin uses — KubeConfig (configuration and every
 * authentication method), Watch, and the HTTP request pieces its generated API clients are built
 * on — loaded from the package's own modules, not from its index.
 *
 * Why: the package's index, and its config module through `./gen/index.js`, load every generated
 * API client and model class (2,700 modules): 77 MiB of memory in the thread that loads them, for
 * classes this plugin never uses (it reads list bodies as plain JSON, see api-source.ts). Where
 * Node has module.registerHooks (22.15+), config.js's one import of `./gen/index.js` — it takes
 * only createConfiguration and ServerConfiguration from it — is answered by a module exporting just
 * those two, from the same files the index re-exports them from. Without registerHooks the full
 * index loads, as before. Imported only by the control side (api-source.ts, client.ts), lazily.
 */
import * as nodeModule from 'node:module';
import type * as Config from '@kubernetes/client-node/dist/config.js';
import type * as WatchModule from '@kubernetes/client-node/dist/watch.js';
import type * as Http from '@kubernetes/client-node/dist/gen/http/http.js';
import type * as Servers from '@kubernetes/client-node/dist/gen/servers.js';
import type * as Configuration from '@kubernetes/client-node/dist/gen/configuration.js';

const lib = import.meta.resolve('@kubernetes/client-node');            // …/dist/index.js
const at = (path: string) => new URL(path, lib).href;

type Hooks = { registerHooks?: (h: { resolve: (spec: string, ctx: { parentURL?: string }, next: (spec: string, ctx: { parentURL?: string }) => unknown) => unknown }) => unknown };
const registerHooks = (nodeModule as Hooks).registerHooks;
if (registerHooks) {
  const config = at('./config.js');
  const slim = `data:text/javascript,${encodeURIComponent(
    `export { createConfiguration } from ${JSON.stringify(at('./gen/configuration.js'))};\n` +
    `export { ServerConfiguration } from ${JSON.stringify(at('./gen/servers.js'))};\n`)}`;
  registerHooks({
    resolve(spec, ctx, next) {
      return next(spec === './gen/index.js' && ctx.parentURL === config ? slim : spec, ctx);
    },
  });
}

const [config, watch, http, servers, configuration] = await Promise.all([
  import(at('./config.js')) as Promise<typeof Config>,
  import(at('./watch.js')) as Promise<typeof WatchModule>,
  import(at('./gen/http/http.js')) as Promise<typeof Http>,
  import(at('./gen/servers.js')) as Promise<typeof Servers>,
  import(at('./gen/configuration.js')) as Promise<typeof Configuration>,
]);

export const KubeConfig = config.KubeConfig;
export type KubeConfig = Config.KubeConfig;
export const Watch = watch.Watch;
export type Watch = WatchModule.Watch;
export const { HttpMethod, RequestContext } = http;
export const ServerConfiguration = servers.ServerConfiguration;
export const createConfiguration = configuration.createConfiguration;
