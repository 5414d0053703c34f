/**
 * One source (API watches or manifests) and the index it feeds, kept across Corefile reloads
 * while the reloaded block reads the same objects the same way.
 *
 * Why: a reload builds the new generation beside the old one and switches when it is ready. Had
 * each generation its own source, every reload would list the whole cluster again and hold a
 * second copy of the index until the switch: at 10,000 Services / 100,000 endpoints that is ~45 MiB
 * more heap at once, and inside kubeadm's 170Mi the process aborted on its first reload (V8 heap
 * limit). The key holds every option that decides which objects are read and how they are indexed
 * (connection, kubeconfig content, selectors, namespaces, pods, endpoints); options that only shape
 * answers (zones, ttl, fallthrough...) stay per generation in the Backend. The entry lives in the
 * server's per-process `shared` map and stops its source when the last generation using it closes.
 *
 * Two ways to keep the index (SourceMode): 'live', the full index that the answering part of the
 * same thread reads (one thread); 'images', the records only, from which an ImageBuilder makes
 * the cluster images that the control part publishes to the answering threads.
 */
import fs from 'node:fs';
import { ClusterIndex } from './cluster-index.ts';
import { Feed } from './feed.ts';
import { ImageBuilder, type ClusterImage } from './image-builder.ts';
import { requiredKinds, type KubernetesOptions } from './setup.ts';
import type { SetupContext } from '../../plugin/contract.ts';
import { processState, stateKey } from '../../plugin/process-state.ts';

export interface Source { start(): void; stop(): Promise<void> }
/** Builds the source that feeds an index (API or manifests); only the control part has one. */
export type SourceFactory = (feed: Feed) => Source;

/** 'live': the index is read in this thread; 'images': it feeds images for other threads. */
export type SourceMode = 'live' | 'images';

/** What a generation's plugin hears from the shared source. */
export interface SourceUser {
  synced(): void;
  /** A new cluster image for the answering threads ('images' only). */
  image?(img: ClusterImage): void;
}

export interface SharedSource {
  readonly index: ClusterIndex;
  readonly isSynced: boolean;
  /** The latest cluster image ('images'; undefined before the first one). */
  readonly image: ClusterImage | undefined;
  /** The startup timeout passed unsynced: publish images of what is known from now on ('images'). */
  publishUnsynced(): void;
  /** Start the source (the plugin's start(), once the server listens); a no-op once started. */
  start(): void;
  /** This generation is done with it; the last one out stops the source. */
  release(user: SourceUser): Promise<void>;
}

interface Entry { index: ClusterIndex; feed: Feed; source: Source; users: Set<SourceUser>; started: boolean; images: ImageBuilder | undefined }

/** The sources of this process by options (sourceKey), each with the generations that use it. */
const REGISTRY = stateKey('kubernetes/shared-sources', () => new Map<string, Entry>());

function fileText(path: string | undefined): string {
  if (!path) return '';
  try { return fs.readFileSync(path, 'utf8'); } catch (e) { return `unreadable: ${(e as Error).message}`; }
}

/** Everything that decides which objects the source reads and how the index keeps them. */
export function sourceKey(o: KubernetesOptions, mode: SourceMode): string {
  return JSON.stringify({
    mode,
    endpoint: o.endpoint ?? null,
    tls: o.tls ?? null,
    kubeconfig: o.kubeconfig ? { path: o.kubeconfig.path, context: o.kubeconfig.context ?? null, text: fileText(o.kubeconfig.path) } : null,
    manifests: o.manifests,
    namespaces: [...o.namespaces].sort(),
    labels: o.labels?.text ?? null,
    namespaceLabels: o.namespaceLabels?.text ?? null,
    podMode: o.podMode,
    endpointPodNames: o.endpointPodNames,
    noEndpoints: o.noEndpoints,
  });
}

/** The source for these options: the running one when a previous generation has it, else a new one. */
export function acquireSource(ctx: Pick<SetupContext, 'shared'>, key: string, o: KubernetesOptions, mode: SourceMode, user: SourceUser, make: SourceFactory): SharedSource {
  const all = processState(ctx, REGISTRY);
  let entry = all.get(key);
  if (!entry) {
    const users = new Set<SourceUser>([user]);   // before the Feed: it may be synced at once (no kinds to list)
    const index = new ClusterIndex({ podNames: o.endpointPodNames, secondary: mode === 'live' });
    // With 'images' the answering threads read images of the index (one copy for all).
    let synced = false;
    const images = mode === 'images'
      ? new ImageBuilder(index, () => synced, (img) => { for (const u of users) u.image?.(img); })
      : undefined;
    const feed = new Feed(index, requiredKinds(o), () => {
      synced = true;
      for (const u of users) u.synced();
      images?.start();
    }, images);
    entry = { index, feed, source: undefined as unknown as Source, users, started: false, images };
    all.set(key, entry);
    try {
      entry.source = make(feed);   // built now, started by start(): setup opens nothing
    } catch (e) {
      all.delete(key);
      images?.stop();
      throw e;
    }
  } else {
    entry.users.add(user);
    if (entry.feed.synced) user.synced();
  }
  const e = entry;
  return {
    index: e.index,
    get isSynced() { return e.feed.synced; },
    get image() { return e.images?.latest; },
    publishUnsynced() { e.images?.start(); },
    start() {
      if (e.started) return;
      e.started = true;
      e.source.start();
    },
    async release(u) {
      if (!e.users.delete(u) || e.users.size > 0) return;
      if (all.get(key) === e) all.delete(key);
      e.images?.stop();
      await e.source.stop();
    },
  };
}
