/** `UnorderedMap<K, V>`: a host-side map, last writer wins per key, removals win over older writes. */
import { host } from '../internal/host';
import { decode, encode, mergeableEntry } from '../internal/codec';
import { mergeableType, mergeValues } from '../internal/mergeable';
import { Collection, CollectionOptions } from './base';

/** The host's code of a set (`js_crdt_map_child`'s `kind`). */
const SET_KIND = 1;

export class UnorderedMap<K, V> extends Collection {
  get kind(): 'map' {
    return 'map';
  }

  constructor(options: CollectionOptions = {}) {
    super(options);
  }

  /** A handle on the existing map `id`. */
  static fromId<K, V>(id: Uint8Array | string): UnorderedMap<K, V> {
    return new UnorderedMap<K, V>({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_map_new();
  }

  /**
   * Sets `key` to `value`; returns the previous value, or null. A collection stored here
   * before it is written to becomes "the collection of `key`": members that create it at the
   * same time create the same one (store it first, then fill it).
   */
  set(key: K, value: V): V | null {
    const id = this.writable('set');
    const rawKey = encode(key);
    const type = mergeableType(value);
    if (type !== null) return this.setMergeable(id, rawKey, key, type, value);
    if (value instanceof Collection) value.attachTo(id, rawKey);
    const previous = host().js_crdt_map_insert(id, rawKey, encode(value));
    return previous === null ? null : decode<V>(previous);
  }

  /**
   * Stores a `@Mergeable` value: merged over what `key` holds, as the one version in the
   * add-wins set of `key`'s versions (see `internal/mergeable`). The entry itself is the
   * same on every node: the set's id follows from the map and the key.
   */
  private setMergeable(id: Uint8Array, rawKey: Uint8Array, key: K, type: string, value: V): V | null {
    const stored = this.get(key);
    const versions = host().js_crdt_map_child(id, rawKey, SET_KIND);
    host().js_crdt_set_clear(versions);
    host().js_crdt_set_insert(versions, encode(stored === null ? value : mergeValues(stored, value)));
    host().js_crdt_map_insert(id, rawKey, encode(mergeableEntry(type, versions)));
    return stored;
  }

  /** The value of `key`, or null. */
  get(key: K): V | null {
    const id = this.peek();
    const raw = id === null ? null : host().js_crdt_map_get(id, encode(key));
    return raw === null ? null : decode<V>(raw);
  }

  /** Whether `key` is present. */
  has(key: K): boolean {
    const id = this.peek();
    return id !== null && host().js_crdt_map_contains(id, encode(key));
  }

  /** Removes `key`; returns its value, or null if it was absent. A collection is emptied. */
  remove(key: K): V | null {
    const id = this.writablePeek('remove');
    const previous = id === null ? null : host().js_crdt_map_remove(id, encode(key));
    if (previous === null) return null;
    const value = decode<V>(previous);
    if (value instanceof Collection) value.clearContents();
    return value;
  }

  override clearContents(): void {
    for (const key of this.keys()) this.remove(key);
  }

  /** Every `[key, value]`, in the order of the keys' stored bytes. */
  entries(): [K, V][] {
    const id = this.peek();
    if (id === null) return [];
    return host()
      .js_crdt_map_iter(id)
      .map(([k, v]): [K, V] => [decode<K>(k), decode<V>(v)]);
  }

  /** Every key. */
  keys(): K[] {
    return this.entries().map(([k]) => k);
  }

  /** Every value. */
  values(): V[] {
    return this.entries().map(([, v]) => v);
  }

  /** The number of entries. */
  size(): number {
    const id = this.peek();
    return id === null ? 0 : host().js_crdt_map_iter(id).length;
  }

  protected contents(): unknown {
    return new Map(this.entries());
  }
}
