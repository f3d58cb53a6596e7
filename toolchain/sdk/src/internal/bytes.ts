/** Byte helpers QuickJS lacks (no TextEncoder, no Buffer): UTF-8, hex and base58. */
import { host } from './host';

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return host().utf8_encode(text);
}

/** The text of UTF-8 `bytes`. */
export function text(bytes: Uint8Array): string {
  return host().utf8_decode(bytes);
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  // In C: a JS loop costs ~0.2 M fuel per 32-byte id in QuickJS.
  return host().hex_encode(bytes);
}

/** Bytes of a hex string (either case); throws a TypeError on anything else. */
export function fromHex(hex: string): Uint8Array {
  const bytes = host().hex_decode(hex);
  if (bytes === null) throw new TypeError(`not a hex string: ${JSON.stringify(hex.slice(0, 80))}`);
  return bytes;
}

/** Base58 (Bitcoin alphabet, as Calimero ids are shown) of `bytes`. */
export function toBase58(bytes: Uint8Array): string {
  return host().base58_encode(bytes);
}

/** Bytes of a base58 string; throws a TypeError on a character outside the alphabet. */
export function fromBase58(value: string): Uint8Array {
  let n = 0n;
  let zeros = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = B58.indexOf(value.charAt(i));
    if (digit < 0) throw new TypeError(`not a base58 string: ${JSON.stringify(value.slice(0, 80))}`);
    if (digit === 0 && n === 0n) zeros++;
    n = n * 58n + BigInt(digit);
  }
  const hex = n === 0n ? '' : n.toString(16);
  const body = fromHex(hex.length % 2 ? `0${hex}` : hex);
  const out = new Uint8Array(zeros + body.length);
  out.set(body, zeros);
  return out;
}

/**
 * A 32-byte id given as bytes, 64 hex characters or base58 (how ids travel in JSON).
 * `what` names the argument in the error.
 */
export function toId(value: Uint8Array | string, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    const hex = value.length === 64 ? host().hex_decode(value) : null;
    bytes = hex ?? fromBase58(value);
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw new TypeError(`${what} must be a Uint8Array, a hex or a base58 string`);
  }
  if (bytes.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** True if both byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
