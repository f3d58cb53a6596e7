/**
 * `FrozenStorage<T>`: content-addressed, add-only values. `add` returns the value's key, a
 * 32-byte `Hash`; the same value always gets the same key.
 *
 * The key is upstream's: `sha256(u32 LE length ‖ bytes)` (the node hashes the Borsh byte
 * vector of what the SDK sends), and the bytes are the ones upstream's SDK sends for every
 * kind of value (`internal/frozen_codec`), so every hash equals the one upstream computes.
 */
import { host } from '../internal/host';
import { toId } from '../internal/bytes';
import { frozenBytes, frozenValue } from '../internal/frozen_codec';
import { sha256 } from '../internal/sha256';
import { Collection, CollectionOptions } from './base';

/** A frozen value's 32-byte SHA-256 key. */
export type Hash = Uint8Array;

/** Options of `new FrozenStorage()`. */
export type FrozenStorageOptions = CollectionOptions;

export class FrozenStorage<T> extends Collection {
  get kind(): 'frozen' {
    return 'frozen';
  }

  constructor(options: FrozenStorageOptions = {}) {
    super(options);
  }

  /** A handle on the existing frozen storage `id`. */
  static fromId<T>(id: Uint8Array | string): FrozenStorage<T> {
    return new FrozenStorage<T>({ id });
  }

  /** The key `add(value)` returns, computed without storing anything. */
  static computeHash<T>(value: T): Hash {
    const bytes = frozenBytes(value);
    const framed = new Uint8Array(bytes.length + 4);
    new DataView(framed.buffer).setUint32(0, bytes.length, true);
    framed.set(bytes, 4);
    return sha256(framed);
  }

  protected create(): Uint8Array {
    return host().js_frozen_storage_new();
  }

  /** Stores `value` for good; returns its key (`computeHash(value)`). */
  add(value: T): Hash {
    return host().js_frozen_storage_add(this.writable('add'), frozenBytes(value));
  }

  /** The value stored under `hash` (bytes, hex or base58), or null. */
  get(hash: Hash | string): T | null {
    const id = this.peek();
    const key = toId(hash, 'FrozenStorage.get hash');
    const raw = id === null ? null : host().js_frozen_storage_get(id, key);
    return raw === null ? null : frozenValue<T>(raw);
  }

  /** Whether a value is stored under `hash`. */
  has(hash: Hash | string): boolean {
    const id = this.peek();
    const key = toId(hash, 'FrozenStorage.has hash');
    return id !== null && host().js_frozen_storage_contains(id, key);
  }

  /** Same as `has` (upstream's other name). */
  contains(hash: Hash | string): boolean {
    return this.has(hash);
  }

  /** Always throws: frozen values cannot be removed. */
  remove(_hash: Hash | string): never {
    throw new Error('FrozenStorage.remove: frozen values are add-only and cannot be removed');
  }

  /** Every `[hash, value]`, in hash order. */
  entries(): [Hash, T][] {
    const id = this.peek();
    if (id === null) return [];
    return host()
      .js_crdt_map_iter(id)
      .map(([hash, raw]): [Hash, T] => [hash, frozenValue<T>(raw)]);
  }

  /** Every key, in hash order. */
  hashes(): Hash[] {
    return this.entries().map(([hash]) => hash);
  }

  /** Every value, in hash order. */
  values(): T[] {
    return this.entries().map(([, value]) => value);
  }

  protected contents(): unknown {
    return { id: this.peek() === null ? null : this.id() };
  }
}
