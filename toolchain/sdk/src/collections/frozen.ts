/**
 * `FrozenStorage<T>`: content-addressed, add-only values. `add` returns the value's key (the
 * hex SHA-256 of its stored bytes); the same value always gets the same key.
 */
import { host } from '../internal/host';
import { toHex, toId } from '../internal/bytes';
import { decode, encode } from '../internal/codec';
import { Collection, CollectionOptions } from './base';

export class FrozenStorage<T> extends Collection {
  get kind(): 'frozen' {
    return 'frozen';
  }

  constructor(options: CollectionOptions = {}) {
    super(options);
  }

  /** A handle on the existing frozen storage `id`. */
  static fromId<T>(id: Uint8Array | string): FrozenStorage<T> {
    return new FrozenStorage<T>({ id });
  }

  protected create(): Uint8Array {
    return host().js_frozen_storage_new();
  }

  /** Stores `value` for good; returns its key (hex SHA-256). */
  add(value: T): string {
    return toHex(host().js_frozen_storage_add(this.writable('add'), encode(value)));
  }

  /** The value stored under `hash` (hex, base58 or bytes), or null. */
  get(hash: Uint8Array | string): T | null {
    const id = this.peek();
    const key = toId(hash, 'FrozenStorage.get hash');
    const raw = id === null ? null : host().js_frozen_storage_get(id, key);
    return raw === null ? null : decode<T>(raw);
  }

  /** Whether a value is stored under `hash`. */
  has(hash: Uint8Array | string): boolean {
    const id = this.peek();
    const key = toId(hash, 'FrozenStorage.has hash');
    return id !== null && host().js_frozen_storage_contains(id, key);
  }

  /** Same as `has` (upstream's name). */
  contains(hash: Uint8Array | string): boolean {
    return this.has(hash);
  }

  protected contents(): unknown {
    return { id: this.peek() === null ? null : this.id() };
  }
}
