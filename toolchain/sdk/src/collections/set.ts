/** `UnorderedSet<T>`: a host-side set; a concurrent add and delete of one element: the add wins. */
import { host } from '../internal/host';
import { decode, encode } from '../internal/codec';
import { Collection, CollectionOptions } from './base';

/** Options of `new UnorderedSet()`. */
export interface UnorderedSetOptions<T> extends CollectionOptions {
  /**
   * Elements a new set starts with. They are added when the set is created on the host (when
   * first stored or written): a handle that is only decoded or read never writes.
   */
  initialValues?: Iterable<T>;
}

export class UnorderedSet<T> extends Collection {
  get kind(): 'set' {
    return 'set';
  }

  private initial: T[];

  constructor(options: UnorderedSetOptions<T> = {}) {
    super(options);
    this.initial = options.id === undefined && options.initialValues ? Array.from(options.initialValues) : [];
  }

  /** A handle on the existing set `id`. */
  static fromId<T>(id: Uint8Array | string): UnorderedSet<T> {
    return new UnorderedSet<T>({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_set_new();
  }

  protected override seeded(): boolean {
    return this.initial.length > 0;
  }

  protected override seed(id: Uint8Array): void {
    for (const value of this.initial) host().js_crdt_set_insert(id, encode(value));
    this.initial = [];
  }

  /** Adds `value`; returns true if it was not there yet. */
  add(value: T): boolean {
    return host().js_crdt_set_insert(this.writable('add'), encode(value));
  }

  /** Whether `value` is in the set. */
  has(value: T): boolean {
    const id = this.peek();
    return id !== null && host().js_crdt_set_contains(id, encode(value));
  }

  /** Removes `value`; returns true if it was there. */
  delete(value: T): boolean {
    const id = this.writablePeek('delete');
    return id !== null && host().js_crdt_set_remove(id, encode(value));
  }

  /** Removes every element (elements added concurrently elsewhere survive). */
  clear(): void {
    const id = this.writablePeek('clear');
    if (id !== null) host().js_crdt_set_clear(id);
  }

  override clearContents(): void {
    this.clear();
  }

  /** The number of elements. */
  size(): number {
    const id = this.peek();
    return id === null ? 0 : host().js_crdt_set_len(id);
  }

  /** Every element, in the order of their stored bytes. */
  toArray(): T[] {
    const id = this.peek();
    return id === null ? [] : host().js_crdt_set_iter(id).map((raw) => decode<T>(raw));
  }

  protected contents(): unknown {
    return this.toArray();
  }
}
