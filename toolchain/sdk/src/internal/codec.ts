/**
 * How values become bytes, documented for app authors:
 *
 * - **Stored values** (collection keys, values, the root state document) are JSON, with
 *   tagged objects for what JSON lacks: `{"__cal":"bigint","v":"12"}`,
 *   `{"__cal":"bytes","v":"<hex>"}`, `{"__cal":"Map","v":[[k,v],...]}`,
 *   `{"__cal":"Set","v":[...]}`, and a collection as `{"__cal":"<kind>","id":"<hex>"}` (kind:
 *   map, set, vector, counter, lww, user, frozen), which is how collections nest; a
 *   `@Mergeable` map value is `{"__cal":"mergeable","type":"<name>","id":"<hex>"}`, the set
 *   of its versions (see `internal/mergeable`). A map key is the JSON text of the key, so
 *   `"a"` and `1` are different keys, and object keys depend on property order. Class instances come back as plain objects, `Date`s as ISO
 *   strings, `undefined` as null. Objects of your own must not use the key `__cal`.
 * - **Returned values and event data** are plain JSON: a bigint is a decimal string, bytes
 *   are an array of numbers, a `Map` is an object (an array of pairs if a key is not a
 *   string), a `Set` an array, and a collection its contents (`toJSON`).
 */
import { fromHex, text, toHex, utf8 } from './bytes';
import { host } from './host';
import { foldVersions } from './mergeable';
import { Collection, handleOf, storingCollections } from '../collections/base';

export const TAG = '__cal';
const KINDS = new Set(['map', 'set', 'vector', 'counter', 'lww', 'user', 'frozen']);

type Holder = Record<string, unknown>;

function storageReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Collection) return { [TAG]: value.kind, id: value.id() };
  if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() };
  if (value instanceof Uint8Array) return { [TAG]: 'bytes', v: toHex(value) };
  if (value instanceof Map) return { [TAG]: 'Map', v: Array.from(value) };
  if (value instanceof Set) return { [TAG]: 'Set', v: Array.from(value) };
  return value;
}

function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Holder;
  const tag = record[TAG];
  if (typeof tag !== 'string') {
    for (const key of Object.keys(record)) if (key !== '__proto__') record[key] = revive(record[key]);
    return record;
  }
  const v = revive(record['v']);
  switch (tag) {
    case 'bigint':
      return BigInt(String(v));
    case 'bytes':
      return fromHex(String(v));
    case 'Map':
      return new Map(v as [unknown, unknown][]);
    case 'Set':
      return new Set(v as unknown[]);
    case 'mergeable': {
      const versions = host().js_crdt_set_iter(fromHex(String(record['id'])));
      return foldVersions(String(record['type']), versions.map((raw) => decode<unknown>(raw)));
    }
    default: {
      const handle = handleOf(tag, String(record['id']));
      if (handle === null && KINDS.has(tag)) {
        throw new Error(
          `the stored state holds a collection of kind "${tag}", but the app never uses that ` +
            'collection class, so it was left out of the build: import it from @calimero/sdk/collections'
        );
      }
      return handle ?? value;
    }
  }
}

/** The stored entry of a `@Mergeable` map value: its type and the set of its versions. */
export function mergeableEntry(type: string, versions: Uint8Array): Record<string, string> {
  return { [TAG]: 'mergeable', type, id: toHex(versions) };
}

/** The stored JSON text of `value` (collections inside get their ids now). */
export function encodeText(value: unknown): string {
  return storingCollections(() => JSON.stringify(value, storageReplacer)) ?? 'null';
}

/** The stored bytes of `value`. */
export function encode(value: unknown): Uint8Array {
  return utf8(encodeText(value));
}

/** The value of stored JSON text. */
export function decodeText<T>(json: string): T {
  // A walk after JSON.parse costs a third of a reviver in QuickJS; most values need neither.
  const value: unknown = JSON.parse(json);
  return (json.indexOf(`"${TAG}"`) < 0 ? value : revive(value)) as T;
}

/** The value of stored bytes. */
export function decode<T>(bytes: Uint8Array): T {
  return decodeText<T>(text(bytes));
}

function wireReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Set) return Array.from(value);
  if (value instanceof Map) {
    const pairs = Array.from(value);
    return pairs.every(([k]) => typeof k === 'string') ? Object.fromEntries(pairs) : pairs;
  }
  return value;
}

/** Plain JSON text of a returned value or of event data (`undefined` becomes null). */
export function toWire(value: unknown): string {
  return JSON.stringify(value, wireReplacer) ?? 'null';
}
