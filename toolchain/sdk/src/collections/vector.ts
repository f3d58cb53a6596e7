/** `Vector<T>`: a host-side append-only list; concurrent pushes are ordered by timestamp, then node. */
import { host } from '../internal/host';
import { decode, encode } from '../internal/codec';
import { Collection, CollectionOptions } from './base';

export class Vector<T> extends Collection {
  get kind(): 'vector' {
    return 'vector';
  }

  constructor(options: CollectionOptions = {}) {
    super(options);
  }

  /** A new vector holding `values` (pushed when it is created on the host). */
  static fromArray<T>(values: Iterable<T>): Vector<T> {
    const vector = new Vector<T>();
    vector.initial = Array.from(values);
    return vector;
  }

  private initial: T[] = [];

  /** A handle on the existing vector `id`. */
  static fromId<T>(id: Uint8Array | string): Vector<T> {
    return new Vector<T>({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_vector_new();
  }

  protected override seeded(): boolean {
    return this.initial.length > 0;
  }

  protected override seed(id: Uint8Array): void {
    for (const value of this.initial) host().js_crdt_vector_push(id, encode(value));
    this.initial = [];
  }

  /** Appends `value`. */
  push(value: T): void {
    host().js_crdt_vector_push(this.writable('push'), encode(value));
  }

  /** The element at `index`, or null when out of range. */
  get(index: number): T | null {
    const id = this.peek();
    if (id === null || !Number.isInteger(index) || index < 0) return null;
    const raw = host().js_crdt_vector_get(id, index);
    return raw === null ? null : decode<T>(raw);
  }

  /** The number of elements. */
  len(): number {
    const id = this.peek();
    return id === null ? 0 : host().js_crdt_vector_len(id);
  }

  /** Removes the last element and returns it, or null when empty. */
  pop(): T | null {
    const id = this.writablePeek('pop');
    const raw = id === null ? null : host().js_crdt_vector_pop(id);
    return raw === null ? null : decode<T>(raw);
  }

  override clearContents(): void {
    for (let n = this.len(); n > 0; n--) this.pop();
  }

  /** Every element, in order. */
  toArray(): T[] {
    const id = this.peek();
    const out: T[] = [];
    if (id === null) return out;
    const n = host().js_crdt_vector_len(id);
    for (let i = 0; i < n; i++) {
      const raw = host().js_crdt_vector_get(id, i);
      if (raw !== null) out.push(decode<T>(raw));
    }
    return out;
  }

  protected contents(): unknown {
    return this.toArray();
  }
}
