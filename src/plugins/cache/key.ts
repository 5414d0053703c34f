/**
 * The cache's lookup key, built from a query's bytes without building strings: the question name
 * as on the wire, ASCII lower-cased (DNS names compare case-insensitively), its type and class, and
 * the DO and CD bits, with two independent 32-bit hashes (FNV-1a and a multiply-xorshift) that the
 * shared table probes and compares before it compares the bytes.
 */

export const MAX_KEY = 255 + 5;

/** The lookup key of a query: its name as on the wire lower-cased, type, class and DO/CD, hashed. */
export class Key {
  readonly bytes = new Uint8Array(MAX_KEY);
  len = 0; h1 = 0; h2 = 0;

  /** Build from a query's bytes; `qEnd` is the end of its question. False if the name is not plain. */
  set(wire: Uint8Array, qEnd: number, dobit: boolean, cd: boolean): boolean {
    const n = qEnd - 12;
    if (n < 5 || n > MAX_KEY - 1) return false;
    const b = this.bytes;
    let h1 = 0x811c9dc5, h2 = 0x9747b28c;
    for (let i = 0; i < n; i++) {
      let c = wire[12 + i]!;
      if (c >= 65 && c <= 90 && i < n - 4) c += 32;
      b[i] = c;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995); h2 ^= h2 >>> 13;
    }
    const f = (dobit ? 1 : 0) | (cd ? 2 : 0);
    b[n] = f;
    this.h1 = Math.imul(h1 ^ f, 0x01000193) | 0;
    this.h2 = (Math.imul(h2 ^ f, 0x5bd1e995) ^ (h2 >>> 15)) | 0;
    this.len = n + 1;
    return true;
  }

  clone(): Key {
    const k = new Key();
    k.bytes.set(this.bytes.subarray(0, this.len));
    k.len = this.len; k.h1 = this.h1; k.h2 = this.h2;
    return k;
  }
}
