/**
 * `-configmap NAMESPACE/NAME[/KEY]`: the Corefile comes from one ConfigMap, watched through the
 * API, so an edit is live in about a second instead of after the kubelet's sync of the mounted
 * file and the reload plugin's poll (30 s to minutes).
 *
 * Runs in the control thread only, and is imported only when the flag is given (it loads
 * @kubernetes/client-node). List + watch go through the kubernetes plugin's Reflector, so they
 * get its restart with a short capped backoff (an informer of the client library stops for good
 * on errors), with a `metadata.name=NAME` field selector so that RBAC `resourceNames` can limit
 * the grant to that one ConfigMap. Each new content of KEY is applied as a reload: the sockets
 * stay; a Corefile that fails keeps the running one, is logged with FILE:LINE, counts in
 * coredns_reload_failed_total, and becomes a Warning Event `ReloadFailed` on the ConfigMap (so
 * `kubectl describe configmap` shows it). FILE is the -conf path: the ConfigMap's key is mounted
 * there in the pod, imports are read relative to it, and `clusterdns -validate -conf` names the
 * same lines.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { HttpMethod, RequestContext, ServerConfiguration, createConfiguration, type KubeConfig } from '../plugins/kubernetes/client-lib.ts';
import type { Logger } from '../plugin/contract.ts';
import { buildKubeConfig } from '../plugins/kubernetes/client.ts';
import { Reflector } from '../plugins/kubernetes/reflector.ts';
import { rawLister } from '../plugins/kubernetes/api-source.ts';
import { CorefileError } from '../corefile/types.ts';
import { reloadMetrics } from './reload-metrics.ts';
import type { ConfigMapRef } from './configmap-ref.ts';

export interface CorefileTarget {
  /** Apply this Corefile; resolves true if applied, false if unchanged; calls onError if it failed. */
  reload(opts: { text: string; onError: (message: string) => void }): Promise<boolean>;
}

export interface ConfigMapWatchOptions {
  ref: ConfigMapRef;
  target: CorefileTarget;
  log: Logger;                 // "plugin/reload" lines
  env?: NodeJS.ProcessEnv;     // $KUBECONFIG, or the in-cluster KUBERNETES_SERVICE_HOST/PORT
}

interface ApiConfigMap { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string }; data?: Record<string, string> }

/** The client configuration: the file named by $KUBECONFIG (its current context), else in-cluster. */
export function configMapKubeConfig(env: NodeJS.ProcessEnv): KubeConfig {
  const path = env.KUBECONFIG?.split(':').find((p) => p !== '');
  const at = { file: path ? '$KUBECONFIG' : '-configmap', line: 0 };
  try {
    return buildKubeConfig(path ? { kubeconfig: { path, at }, at } : { at }, env);
  } catch (e) {
    if (e instanceof CorefileError) throw new Error(`-configmap: ${e.detail.replace(/^kubernetes: /, '')}`);
    throw e;
  }
}

export class ConfigMapWatch {
  private readonly o: ConfigMapWatchOptions;
  private readonly reflector: Reflector;
  private readonly kc: KubeConfig;
  private readonly what: string;
  /** The newest content seen, and the one being applied or last applied. */
  private wanted: { text: string | undefined; obj: ApiConfigMap } | undefined;
  private applying: Promise<void> | undefined;
  private lastTried: string | undefined;
  private listed: ApiConfigMap | undefined;
  private stopped = false;
  /** The Corefile the ConfigMap holds now (undefined until it was read): what SIGUSR1 re-applies. */
  text: string | undefined;
  /** Tests: how many Corefiles were applied / failed. */
  readonly stats = { applied: 0, failed: 0 };

  constructor(o: ConfigMapWatchOptions) {
    this.o = o;
    const { namespace, name } = o.ref;
    this.what = `configmap ${namespace}/${name}`;
    this.kc = configMapKubeConfig(o.env ?? process.env);
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    this.reflector = new Reflector({
      kind: '*v1.ConfigMap', path, list: rawLister(this.kc)(path), fieldSelector: `metadata.name=${name}`,
      kc: this.kc, log: o.log,
      handlers: {
        begin: () => { this.listed = undefined; },
        page: (items) => { for (const it of items as ApiConfigMap[]) if (it.metadata?.name === name) this.listed = it; },
        replace: () => {
          if (this.listed) this.changed(this.listed);
          else o.log.warning(`${this.what} not found; serving the Corefile we have`);
        },
        added: (obj) => this.changed(obj as ApiConfigMap),
        modified: (obj) => this.changed(obj as ApiConfigMap),
        deleted: () => o.log.warning(`${this.what} was deleted; serving the Corefile we have`),
      },
    });
  }

  start(): void { this.reflector.start(); }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reflector.stop();
    await this.applying;
  }

  /** Resolves once nothing is waiting to be applied (tests and the benchmark). */
  async idle(): Promise<void> { while (this.applying) await this.applying; }

  private changed(obj: ApiConfigMap): void {
    if (obj.metadata?.name !== this.o.ref.name) return;
    const text = obj.data?.[this.o.ref.key];
    this.wanted = { text, obj };
    this.applying ??= this.drain().finally(() => { this.applying = undefined; });
  }

  /** Apply the newest wanted content, one reload at a time; edits that arrive meanwhile coalesce. */
  private async drain(): Promise<void> {
    while (this.wanted && !this.stopped) {
      const { text, obj } = this.wanted;
      this.wanted = undefined;
      const rv = obj.metadata?.resourceVersion ?? '';
      if (text === undefined) {
        const msg = `${this.what} has no key "${this.o.ref.key}"; the running Corefile is kept`;
        if (this.lastTried !== `\0missing:${rv}`) {
          this.lastTried = `\0missing:${rv}`;
          this.o.log.error(msg);
          reloadMetrics().failed.inc();
          this.stats.failed++;
          await this.event(obj, msg);
        }
        continue;
      }
      this.text = text;
      if (text === this.lastTried) continue;   // the same content again (a label edit, a resync)
      this.lastTried = text;
      let error: string | undefined;
      const applied = await this.o.target.reload({ text, onError: (m) => { error = m; } });
      if (applied) {
        this.stats.applied++;
        this.o.log.info(`applied the Corefile of ${this.what} (resourceVersion ${rv})`);
      } else if (error !== undefined) {
        this.stats.failed++;
        this.o.log.error(`${this.what} (resourceVersion ${rv}) not applied, the running Corefile is kept: ${error}`);
        await this.event(obj, `Corefile of resourceVersion ${rv} not applied, the running one is kept: ${error}`);
      }
    }
  }

  /** Create a Warning Event ReloadFailed on the ConfigMap (as client-go's event recorder writes one). */
  private async event(obj: ApiConfigMap, message: string): Promise<void> {
    const { namespace, name } = this.o.ref;
    const now = new Date().toISOString();
    const host = hostname();
    const body = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${name}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}`, namespace },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', namespace, name, uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion },
      reason: 'ReloadFailed', type: 'Warning', message: message.slice(0, 1024),
      source: { component: 'clusterdns', host },
      firstTimestamp: now, lastTimestamp: now, count: 1,
      reportingComponent: 'clusterdns', reportingInstance: host,
    };
    try {
      const cluster = this.kc.getCurrentCluster()!;
      const http = createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: this.kc } }).httpApi;
      const ctx = new RequestContext(`${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${namespace}/events`, HttpMethod.POST);
      ctx.setHeaderParam('Content-Type', 'application/json');
      ctx.setHeaderParam('Accept', 'application/json');
      ctx.setBody(JSON.stringify(body));
      await this.kc.applySecurityAuthentication(ctx);
      const res = await http.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode >= 300) throw new Error(`${text.slice(0, 200)} (HTTP ${res.httpStatusCode})`);
    } catch (e) {
      this.o.log.warning(`could not create Event ReloadFailed on ${this.what}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
