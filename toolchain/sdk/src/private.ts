/**
 * `createPrivateEntry(key)`: one typed value in the context's node-local storage (what
 * `env.storageRead/Write/Remove` reach): this node's own, never replicated, not part of the
 * state. Values are stored as the SDK stores collection values (JSON, bigint and bytes kept).
 *
 * ```ts
 * const note = createPrivateEntry<{ text: string }>('note');
 * note.set({ text: 'mine only' });
 * note.get(); // { text: 'mine only' } on this node, null on the others
 * ```
 */
import { decode, encode } from './internal/codec';
import { storageRead, storageRemove, storageWrite } from './env';
import { utf8 } from './internal/bytes';

/** A key: a string (its UTF-8 bytes) or bytes. */
export type PrivateKey = string | Uint8Array;

function keyBytes(key: PrivateKey): Uint8Array {
  if (typeof key === 'string') return utf8(key);
  if (key instanceof Uint8Array) return new Uint8Array(key);
  throw new TypeError('a private entry key must be a string or a Uint8Array');
}

/** A handle on the private value stored under one key. */
export class PrivateEntryHandle<T> {
  private readonly key: Uint8Array;

  constructor(key: PrivateKey) {
    this.key = keyBytes(key);
  }

  /** The stored value, or null if there is none. */
  get(): T | null {
    const raw = storageRead(this.key);
    return raw === null ? null : decode<T>(raw);
  }

  /** Stores `value`, replacing any previous one. */
  set(value: T): void {
    storageWrite(this.key, encode(value));
  }

  /** Removes the value; true if there was one. */
  remove(): boolean {
    return storageRemove(this.key);
  }

  /** The stored value, or the one `initialiser` makes (which is stored). */
  getOrInit(initialiser: () => T): T {
    const existing = this.get();
    if (existing !== null) return existing;
    const value = initialiser();
    this.set(value);
    return value;
  }

  /** The stored value, or `fallback` (which is stored). */
  getOrDefault(fallback: T): T {
    return this.getOrInit(() => fallback);
  }

  /** Changes the value in place (made by `initialiser` if absent), stores and returns it. */
  modify(mutator: (value: T) => void, initialiser: () => T): T {
    const value = this.getOrInit(initialiser);
    mutator(value);
    this.set(value);
    return value;
  }
}

/** A handle on the private value under `key`. */
export function createPrivateEntry<T>(key: PrivateKey): PrivateEntryHandle<T> {
  return new PrivateEntryHandle<T>(key);
}
