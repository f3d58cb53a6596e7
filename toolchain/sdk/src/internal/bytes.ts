/** Byte helpers QuickJS lacks (no TextEncoder, no Buffer): UTF-8, hex and base58. */
import { host } from './host';

const HEX = '0123456789abcdef';
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
  // Indexing a constant string is far cheaper in QuickJS than charAt/toString calls.
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    out += (HEX[b >> 4] as string) + (HEX[b & 15] as string);
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** Bytes of a hex string (either case); throws a TypeError on anything else. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  let bad = hex.length & 1;
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    bad |= (hi | lo) < 0 ? 1 : 0;
    out[i] = (hi << 4) | lo;
  }
  if (bad) throw new TypeError(`not a hex string: ${JSON.stringify(hex.slice(0, 80))}`);
  return out;
}

/** Base58 (Bitcoin alphabet, as Calimero ids are shown) of `bytes`. */
export function toBase58(bytes: Uint8Array): string {
  // BigInt arithmetic runs in C: ~20x cheaper than a digit loop in JS for a 32-byte id.
  let zeros = '';
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) zeros += '1';
  let n = bytes.length > zeros.length ? BigInt(`0x${toHex(bytes)}`) : 0n;
  let out = '';
  while (n > 0n) {
    out = (B58[Number(n % 58n)] as string) + out;
    n /= 58n;
  }
  return zeros + out;
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
    bytes = /^[0-9a-fA-F]{64}$/.test(value) ? fromHex(value) : fromBase58(value);
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
