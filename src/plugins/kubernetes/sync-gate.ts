/**
 * SyncGate: "has the first complete list arrived?" for one part of the kubernetes plugin, and the
 * wait that CoreDNS puts in front of it: until synced, server start and queries in our zones wait,
 * but never past startup_timeout counted from setup; after that they go on with what is known.
 * The control part's gate opens when its source has listed everything; a worker's answering part
 * opens when an image that says synced arrives; in one thread both parts share the control one.
 */
export class SyncGate {
  private synced = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly deadline: number;

  constructor(startupTimeoutMs: number) {
    this.deadline = Date.now() + startupTimeoutMs;
  }

  get isSynced(): boolean { return this.synced; }

  /** Nothing to wait for any more: synced, past the startup timeout, or closed. */
  get open(): boolean { return this.synced || this.closed || Date.now() >= this.deadline; }

  markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.wake();
  }

  /** Resolves when synced, when startup_timeout (counted from setup) has passed, or on close. */
  wait(): Promise<void> {
    if (this.open) return Promise.resolve();
    this.timer ??= setTimeout(() => { this.timer = undefined; this.wake(); }, Math.max(0, this.deadline - Date.now()));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    for (const w of this.waiters.splice(0)) w();
  }
}
