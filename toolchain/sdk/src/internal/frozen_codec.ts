/**
 * The bytes a frozen value is stored and hashed as: upstream's, so `FrozenStorage.add`
 * answers the hash upstream's node computes (`sha256(u32 LE length ‖ bytes)`).
 *
 * As upstream's SDK sends them: a string as its UTF-8, a `Uint8Array` as itself, a number
 * as a little-endian f64, a boolean as one byte; anything else in upstream's tagged form:
 * one kind byte (0 null, 1 boolean, 2 number, 3 bigint, 4 string, 5 bytes, 6 array,
 * 7 object), then the value: f64 LE, bigint and string as u32 LE length + UTF-8, bytes as
 * u32 LE length + bytes, an array as u32 count + items, an object as u32 count + (key,
 * value) pairs in key order of `Object.keys` (undefined fields left out). A `Map` is the
 * object `{__calimeroMap: true, entries: [{key, value}...]}`, a `Set` is `{__calimeroSet:
 * true, values: [...]}`, a `Date` its ISO string, and a value with `toJSON` what that returns.
 *
 * Reading back cannot know the type, so it goes in this order: printable UTF-8 (no control
 * characters but tab and line breaks) is a string; one byte 0 or 1 a boolean; then a whole
 * tagged bigint, date, array or object; then 8 bytes are a number; anything else is bytes
 * (so a string with control characters reads back as its bytes, and bytes that are
 * printable UTF-8 as a string). (Upstream's reader takes any non-empty bytes as text.)
 */
import { sameBytes, text, utf8 } from './bytes';

const enum Kind {
  Null = 0,
  Boolean = 1,
  Number = 2,
  BigInt = 3,
  String = 4,
  Bytes = 5,
  Array = 6,
  Object = 7,
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  private total = 0;

  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.total += bytes.length;
  }

  byte(value: number): void {
    this.push(Uint8Array.of(value));
  }

  u32(value: number): void {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value, true);
    this.push(out);
  }

  f64(value: number): void {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, value, true);
    this.push(out);
  }

  sized(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.push(bytes);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** The bytes the node stores and hashes for `value`. */
export function frozenBytes(value: unknown): Uint8Array {
  if (typeof value === 'string') return utf8(value);
  if (value instanceof Uint8Array) return value;
  const out = new Writer();
  if (typeof value === 'number') out.f64(value);
  else if (typeof value === 'boolean') out.byte(value ? 1 : 0);
  else if (value === null || value === undefined) {
    throw new TypeError('FrozenStorage cannot store null or undefined (upstream refuses it too)');
  } else writeTagged(out, value, new Set());
  return out.bytes();
}

function writeTagged(out: Writer, value: unknown, seen: Set<object>): void {
  const plain = normalised(value);
  if (plain === null || plain === undefined) return out.byte(Kind.Null);
  if (typeof plain === 'boolean') return (out.byte(Kind.Boolean), out.byte(plain ? 1 : 0));
  if (typeof plain === 'number') return (out.byte(Kind.Number), out.f64(plain));
  if (typeof plain === 'bigint') return (out.byte(Kind.BigInt), out.sized(utf8(plain.toString())));
  if (typeof plain === 'string') return (out.byte(Kind.String), out.sized(utf8(plain)));
  if (plain instanceof Uint8Array) return (out.byte(Kind.Bytes), out.sized(plain));
  if (typeof plain !== 'object') throw new TypeError(`FrozenStorage cannot store a ${typeof plain}`);
  if (seen.has(plain)) throw new TypeError('FrozenStorage cannot store circular references');
  seen.add(plain);
  if (Array.isArray(plain)) {
    out.byte(Kind.Array);
    out.u32(plain.length);
    for (const item of plain) writeTagged(out, item, seen);
  } else {
    const fields = Object.keys(plain).filter(key => (plain as Record<string, unknown>)[key] !== undefined);
    out.byte(Kind.Object);
    out.u32(fields.length);
    for (const key of fields) {
      out.sized(utf8(key));
      writeTagged(out, (plain as Record<string, unknown>)[key], seen);
    }
  }
  seen.delete(plain);
}

/** `value` as upstream normalises it before encoding (Map, Set, Date, `toJSON`). */
function normalised(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) && !(value instanceof Uint8Array)) {
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  if (value instanceof Map) {
    return { __calimeroMap: true, entries: [...value].map(([key, item]) => ({ key, value: item })) };
  }
  if (value instanceof Set) return { __calimeroSet: true, values: [...value] };
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    const withJson = value as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') return normalised(withJson.toJSON());
  }
  return value;
}

class Reader {
  at = 0;
  constructor(readonly raw: Uint8Array) {}

  take(count: number): Uint8Array {
    if (this.at + count > this.raw.length) throw new RangeError('frozen value: truncated');
    const out = this.raw.subarray(this.at, this.at + count);
    this.at += count;
    return out;
  }

  u32(): number {
    const part = this.take(4);
    return new DataView(part.buffer, part.byteOffset, 4).getUint32(0, true);
  }

  f64(): number {
    const part = this.take(8);
    return new DataView(part.buffer, part.byteOffset, 8).getFloat64(0, true);
  }

  sized(): Uint8Array {
    return this.take(this.u32());
  }
}

function readTagged(input: Reader): unknown {
  const kind = input.take(1)[0];
  switch (kind) {
    case Kind.Null:
      return null;
    case Kind.Boolean:
      return input.take(1)[0] === 1;
    case Kind.Number:
      return input.f64();
    case Kind.BigInt:
      return BigInt(strictText(input.sized()) ?? 'x');
    case Kind.String:
      return readString(input);
    case Kind.Bytes:
      return new Uint8Array(input.sized());
    case Kind.Array: {
      const count = input.u32();
      const items: unknown[] = [];
      for (let i = 0; i < count; i += 1) items.push(readTagged(input));
      return items;
    }
    case Kind.Object:
      return revived(readObject(input));
    default:
      throw new RangeError(`frozen value: unknown kind ${kind}`);
  }
}

function readString(input: Reader): string {
  const found = strictText(input.sized());
  if (found === null) throw new RangeError('frozen value: a string that is not UTF-8');
  return found;
}

function readObject(input: Reader): Record<string, unknown> {
  const count = input.u32();
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i += 1) {
    const key = readString(input);
    out[key] = readTagged(input);
  }
  return out;
}

function revived(object: Record<string, unknown>): unknown {
  if (object.__calimeroMap === true && Array.isArray(object.entries)) {
    return new Map((object.entries as { key: unknown; value: unknown }[]).map(e => [e.key, e.value]));
  }
  if (object.__calimeroSet === true && Array.isArray(object.values)) return new Set(object.values);
  return object;
}

/** The text of `raw` if it is valid UTF-8, else null. */
function strictText(raw: Uint8Array): string | null {
  const decoded = text(raw);
  return sameBytes(utf8(decoded), raw) ? decoded : null;
}

/** Whether `value` has control characters other than tab, line feed and carriage return. */
function hasControls(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 9 && code !== 10 && code !== 13) || code === 0x7f) return true;
  }
  return false;
}

/** The value stored as `raw` (see the module comment for the order it is read in). */
export function frozenValue<T>(raw: Uint8Array): T {
  const asText = strictText(raw);
  if (asText !== null && !hasControls(asText)) return asText as T;
  if (raw.length === 1 && raw[0] <= 1) return (raw[0] === 1) as T;
  const tagged = wholeTagged(raw);
  if (tagged.ok) return tagged.value as T;
  if (raw.length === 8) return new Reader(raw).f64() as T;
  return new Uint8Array(raw) as T;
}

/** Only the kinds a top-level value is tagged with (the others are sent bare). */
const TOP_KINDS: readonly number[] = [Kind.BigInt, Kind.String, Kind.Array, Kind.Object];

function wholeTagged(raw: Uint8Array): { ok: boolean; value?: unknown } {
  if (raw.length === 0 || !TOP_KINDS.includes(raw[0])) return { ok: false };
  try {
    const input = new Reader(raw);
    const value = readTagged(input);
    return { ok: input.at === raw.length, value };
  } catch {
    return { ok: false };
  }
}
