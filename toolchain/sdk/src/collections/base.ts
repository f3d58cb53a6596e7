/**
 * The base of every collection handle. A handle names a CRDT that lives on the host (the
 * node); only its 32-byte id is stored in the state document or inside another collection.
 *
 * Ids are allocated lazily: `new UnorderedMap()` costs nothing until the collection is first
 * written or saved, so field initializers and read-only (`@View`) calls never create
 * anything on the host. Reads of a collection that has no id yet see it empty.
 */
import { fromHex, toHex, toId } from '../internal/bytes';
import { host } from '../internal/host';

/** The tag under which a collection is stored (`{"__cal": kind, "id": hex}`). */
export type CollectionKind = 'map' | 'set' | 'vector' | 'counter' | 'lww' | 'user' | 'frozen';

/** Options of every collection constructor. */
export interface CollectionOptions {
  /** An existing collection: its 32-byte id (bytes, hex or base58). */
  id?: Uint8Array | string;
}

const factories: Partial<Record<CollectionKind, (id: string) => Collection>> = {};

/**
 * Makes `cls` decodable from stored JSON under `kind`, and returns it. Called as
 * `/* @__PURE__ *\/ defineKind(...)`, so the bundler drops the collections an app never uses.
 */
export function defineKind<C extends new (options?: CollectionOptions) => Collection>(kind: CollectionKind, cls: C): C {
  factories[kind] = (id) => new cls({ id });
  return cls;
}

/** Returns a handle of `kind` on the existing collection `id` (hex), or null for an unknown kind. */
export function handleOf(kind: string, id: string): Collection | null {
  const make = factories[kind as CollectionKind];
  return make ? make(id) : null;
}

/** The host's number for each kind (`js_crdt_map_child`). */
const KIND_CODES: Record<CollectionKind, number> = { map: 0, set: 1, vector: 2, lww: 3, counter: 4, user: 5, frozen: 6 };

/** A handle on a host-side CRDT; see the subclasses. */
export abstract class Collection {
  /** What this collection is stored as. */
  abstract readonly kind: CollectionKind;
  private cid: Uint8Array | null = null;
  /** The id as stored (hex): decoded only if this call uses the collection. */
  private hex: string | null = null;

  constructor(options: CollectionOptions = {}) {
    const id = options.id;
    if (typeof id === 'string' && id.length === 64) this.hex = id;
    else if (id !== undefined) this.cid = toId(id, `${new.target.name} id`);
  }

  /** Creates the host collection; returns its id. */
  protected abstract create(): Uint8Array;

  /** JSON-friendly contents (what a method returning this collection sends). */
  protected abstract contents(): unknown;

  /**
   * The contents for `JSON.stringify`; the collection itself while the SDK stores it (it is
   * then written as its id, and reading every element first would only waste host calls).
   */
  toJSON(): unknown {
    return storing ? this : this.contents();
  }

  /** The id, creating the collection on the host first if it has none yet. */
  protected handle(): Uint8Array {
    const known = this.stored();
    if (known !== null) return known;
    checkWritable(this, 'create');
    this.cid = this.create();
    this.seed(this.cid);
    return this.cid;
  }

  /**
   * Writes what a new collection starts with (`initialValues` and the like) into the host
   * collection `id`, just created; nothing by default.
   */
  protected seed(_id: Uint8Array): void {}

  /** The id for a write named `operation` (which a `@View` may not do). */
  protected writable(operation: string): Uint8Array {
    checkWritable(this, operation);
    return this.handle();
  }

  /** The id for a write that has nothing to do on an empty collection, or null. */
  protected writablePeek(operation: string): Uint8Array | null {
    checkWritable(this, operation);
    return this.peek();
  }

  /**
   * The id, or null if the collection was never written or saved (reads see it empty). A
   * new collection with initial contents is created by its first read outside a `@View`,
   * so the call that made it reads them.
   */
  protected peek(): Uint8Array | null {
    const known = this.stored();
    return known === null && !readOnly && this.seeded() ? this.handle() : known;
  }

  /** The id if the collection has one. */
  private stored(): Uint8Array | null {
    if (this.cid === null && this.hex !== null) this.cid = fromHex(this.hex);
    return this.cid;
  }

  /** Whether `seed` has something to write (a new collection with initial contents). */
  protected seeded(): boolean {
    return false;
  }

  /**
   * @internal Called by a map storing this collection under `key`. A collection never
   * written before takes the id the host derives from the map, the key and its kind, so
   * members that create "the collection of `key`" at the same time create the same one and
   * all their writes to it survive. A collection that already has an id keeps it.
   */
  attachTo(map: Uint8Array, key: Uint8Array): void {
    if (this.stored() !== null) return;
    this.cid = host().js_crdt_map_child(map, key, KIND_CODES[this.kind]);
    this.seed(this.cid);
  }

  /**
   * @internal Called by a map when this collection's entry is removed: empties what can be
   * emptied (a counter cannot), so the collection created again under that key starts empty.
   */
  clearContents(): void {}

  /** The 32-byte id as hex (creating the collection if needed). */
  id(): string {
    if (this.hex === null) this.hex = toHex(this.handle());
    return this.hex;
  }

  /** A copy of the 32-byte id (creating the collection if needed). */
  idBytes(): Uint8Array {
    return this.handle().slice();
  }
}

let readOnly = false;
let storing = false;

/** Runs `encode` with collections serialising as themselves (for the storage encoder). */
export function storingCollections<T>(encode: () => T): T {
  const outer = storing;
  storing = true;
  try {
    return encode();
  } finally {
    storing = outer;
  }
}

/** Marks the running call read-only (a `@View`): collection writes then throw. */
export function setReadOnly(value: boolean): void {
  readOnly = value;
}

/** Throws if the running call is a `@View`: views must leave no delta behind. */
export function checkWritable(collection: Collection, operation: string): void {
  if (readOnly) {
    throw new Error(
      `${collection.constructor.name}.${operation} was called in a @View method, which must ` +
        'not change state (remove @View() from the method, or do not write)'
    );
  }
}
