import { Rcode } from './types.ts';

/** A message that cannot be parsed. A server answers it with FORMERR (when the header was readable). */
export class DecodeError extends Error {
  /** The rcode a server should answer with: always FORMERR. */
  readonly rcode: number = Rcode.FORMERR;
  /** Byte offset where decoding failed. */
  readonly offset: number;
  constructor(message: string, offset = -1) {
    super(message);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** A message (or name) that cannot be written: invalid name, rdata too long, bad address. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}
