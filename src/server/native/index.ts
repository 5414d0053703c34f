/**
 * Batched UDP through a small native addon (udp.c): why this is hand-written native code.
 *
 * node:dgram makes one system call per datagram each way (recvmsg, sendmsg) plus a trip through
 * libuv and the JS binding for each, and on a small machine that is most of the server's time: CPU
 * profiles of the dnsperf benchmark show about half of it in dgram's send path, and a bare dgram
 * echo server tops out well below unbound while our decode/chain/encode is ~10%. Linux can move many
 * datagrams per call (recvmmsg/sendmmsg); Node does not expose that, so udp.c does, and nothing more:
 * a non-blocking socket polled by libuv (uv_poll_t), up to SLOTS datagrams read per recvmmsg into an
 * ArrayBuffer shared with JS, ONE call into JS per batch, and the replies JS queued in the same buffer
 * sent with ONE sendmmsg. A datagram larger than a slot, up to 65,535 bytes like node:dgram, is
 * received whole (its tail in an overflow area, udp.c) so both UDP paths take the same queries.
 * It is C over N-API (ABI-stable: headers only, no node-gyp, no linking), built by build.mjs at
 * `npm install` with the system compiler. When it is not there (no compiler, not Linux,
 * CLUSTERDNS_NATIVE_UDP=0) listeners.ts uses node:dgram, with the same behaviour.
 *
 * Reply ordering and lifetimes: a query's bytes are copied out of the shared buffer (plugins keep
 * req.wire past the batch), and a reply's bytes are copied in when reply() is called (a cached
 * response buffer is patched in place for the next query). Replies given synchronously during a batch
 * go out with the batch; later ones (forward, kubernetes waiting) are flushed on the next setImmediate.
 */
import { addonPath, loadAddon } from './addon.ts';

interface Addon {
  open(address: string, port: number, reusePort: boolean, shared: ArrayBuffer, onBatch: (n: number) => void): [object, number, string];
  flush(handle: object, count: number): void;
  sendOne(handle: object, bytes: Uint8Array, sockaddr: Uint32Array): void;
  copyOverflow(handle: object, slot: number, target: Uint8Array): number;
  close(handle: object): void;
  stats(handle: object): [number, number];
  SLOTS: number; SLOT_SIZE: number; MAX_DATAGRAM: number; META_SIZE: number; SA_SIZE: number; SHARED_SIZE: number;
  RECV_DATA: number; RECV_META: number; SEND_DATA: number; SEND_META: number;
  M_LEN: number; M_PORT: number; M_V4: number; M_TEXTLEN: number; M_TEXT: number;
}

export const ADDON_PATH = addonPath('udp');

/** The addon, or undefined when it is not built, cannot load here, or CLUSTERDNS_NATIVE_UDP=0. */
export function nativeUdp(): Addon | undefined {
  if (process.env.CLUSTERDNS_NATIVE_UDP === '0') return undefined;
  return loadAddon<Addon>('udp').addon;
}

/** Why nativeUdp() is undefined ('' when it is loaded or only disabled by the environment). */
export function nativeUdpUnavailableReason(): string {
  return process.env.CLUSTERDNS_NATIVE_UDP === '0' ? '' : loadAddon<Addon>('udp').why;
}

export type Reply = (bytes: Buffer | null) => void;
export type OnDatagram = (wire: Buffer, remoteAddress: string, remotePort: number, reply: Reply) => void;

const V4_CACHE_MAX = 4096;
const SA_WORDS = 8; // 32-byte sockaddr as Uint32 words

/** One bound UDP socket served through the addon. */
export class NativeUdpSocket {
  readonly port: number;
  readonly address: string;
  private readonly n: Addon;
  private readonly handle: object;
  private readonly buf: Buffer;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly onDatagram: OnDatagram;
  private readonly v4 = new Map<number, string>();
  private readonly ipv6: boolean;
  private queued = 0;
  private inBatch = false;
  private scheduled = false;
  private closed = false;

  /** Binds (throws like node:dgram's bind: err.code EADDRINUSE, ...; ENOTIP for a non-numeric address). */
  constructor(n: Addon, address: string, port: number, reusePort: boolean, onDatagram: OnDatagram) {
    this.n = n;
    this.onDatagram = onDatagram;
    const shared = new ArrayBuffer(n.SHARED_SIZE);
    this.buf = Buffer.from(shared);
    this.i32 = new Int32Array(shared);
    this.u32 = new Uint32Array(shared);
    this.ipv6 = address.includes(':');
    const [handle, boundPort, boundAddress] = n.open(address, port, reusePort, shared, (count) => this.batch(count));
    this.handle = handle;
    this.port = boundPort;
    this.address = boundAddress;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = 0;
    this.n.close(this.handle);
  }

  /** [replies dropped by the kernel or for a full queue, replies waiting for the socket]. */
  stats(): [number, number] {
    return this.closed ? [0, 0] : this.n.stats(this.handle);
  }

  private readonly flushNow = (): void => {
    this.scheduled = false;
    if (this.queued > 0 && !this.closed) this.n.flush(this.handle, this.queued);
    this.queued = 0;
  };

  private batch(count: number): void {
    const n = this.n;
    this.inBatch = true;
    let failure: { e: unknown } | undefined;
    try {
      for (let i = 0; i < count && !this.closed; i++) {
        const meta = n.RECV_META + i * n.META_SIZE;
        const w = meta >> 2;
        const len = this.i32[(meta + n.M_LEN) >> 2]!;
        if (len < 0 || len > n.MAX_DATAGRAM) continue; // truncated or no usable source address: dropped
        const data = n.RECV_DATA + i * n.SLOT_SIZE;
        const wire = Buffer.allocUnsafe(len);
        if (len <= n.SLOT_SIZE) {
          this.buf.copy(wire, 0, data, data + len);
        } else {
          // larger than a slot: the rest is in the addon's overflow area (see udp.c), as node:dgram takes it
          this.buf.copy(wire, 0, data, data + n.SLOT_SIZE);
          if (n.copyOverflow(this.handle, i, wire.subarray(n.SLOT_SIZE)) !== len - n.SLOT_SIZE) continue;
        }
        const remotePort = this.i32[(meta + n.M_PORT) >> 2]!;
        const remoteAddress = this.addressAt(meta);
        let inline = true;
        let replied = false;
        let saved: Uint32Array | undefined;
        const reply: Reply = (bytes) => {
          replied = true;
          if (!bytes || this.closed) return;
          if (inline) this.enqueue(bytes, this.u32, w);
          else if (saved) this.enqueue(bytes, saved, 0);
        };
        try {
          this.onDatagram(wire, remoteAddress, remotePort, reply);
        } catch (e) {
          failure ??= { e }; // the rest of the batch is still served; the first error is rethrown after it
        } finally {
          inline = false;
          if (!replied) saved = this.u32.slice(w, w + SA_WORDS);
        }
      }
    } finally {
      this.inBatch = false;
      this.flushNow();
    }
    if (failure) throw failure.e;
  }

  private addressAt(meta: number): string {
    const n = this.n;
    if (!this.ipv6) {
      const key = this.u32[(meta + n.M_V4) >> 2]!;
      const hit = this.v4.get(key);
      if (hit !== undefined) return hit;
      const text = this.textAt(meta);
      if (this.v4.size >= V4_CACHE_MAX) this.v4.clear();
      this.v4.set(key, text);
      return text;
    }
    return this.textAt(meta);
  }

  private textAt(meta: number): string {
    const n = this.n;
    const tl = this.i32[(meta + n.M_TEXTLEN) >> 2]!;
    const len = tl > 0 && tl <= n.META_SIZE - n.M_TEXT ? tl : 0;
    return this.buf.toString('latin1', meta + n.M_TEXT, meta + n.M_TEXT + len);
  }

  /** Queue `bytes` for the sockaddr at words[at..at+8) (copied now: the caller may reuse both). */
  private enqueue(bytes: Buffer, words: Uint32Array, at: number): void {
    const n = this.n;
    if (bytes.length > n.SLOT_SIZE) {
      n.sendOne(this.handle, bytes, words.subarray(at, at + SA_WORDS));
      return;
    }
    if (this.queued === n.SLOTS) this.flushNow();
    const j = this.queued++;
    bytes.copy(this.buf, n.SEND_DATA + j * n.SLOT_SIZE);
    const meta = n.SEND_META + j * n.META_SIZE;
    const w = meta >> 2;
    const u32 = this.u32;
    for (let k = 0; k < SA_WORDS; k++) u32[w + k] = words[at + k]!;
    this.i32[(meta + n.M_LEN) >> 2] = bytes.length;
    if (!this.inBatch && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }
}
