/**
 * `UserStorage<T>`: one value per executor (member). A call writes only its own executor's
 * slot; anyone reads any slot. Users are 32-byte ids (bytes, hex or base58).
 */
import { host } from '../internal/host';
import { toHex, toId } from '../internal/bytes';
import { decode, encode } from '../internal/codec';
import { isMergeable, mergeValues } from '../internal/mergeable';
import { Collection, CollectionOptions } from './base';

/** A member's 32-byte public key (executor id). */
export type PublicKey = Uint8Array;

/** Options of `new UserStorage()`. */
export type UserStorageOptions = CollectionOptions;

export class UserStorage<T> extends Collection {
  get kind(): 'user' {
    return 'user';
  }

  constructor(options: UserStorageOptions = {}) {
    super(options);
  }

  /** A handle on the existing user storage `id`. */
  static fromId<T>(id: Uint8Array | string): UserStorage<T> {
    return new UserStorage<T>({ id });
  }

  protected create(): Uint8Array {
    return host().js_user_storage_new();
  }

  /** Sets this executor's value; returns the previous one, or null. */
  insert(value: T): T | null {
    const id = this.writable('insert');
    const stored = isMergeable(value) ? this.get() : null;
    const next = stored === null ? value : mergeValues(stored, value);
    const previous = host().js_user_storage_insert(id, encode(next));
    return previous === null ? null : decode<T>(previous);
  }

  /**
   * Sets `user`'s value, which only `user` may do: `user` must be this call's executor
   * (upstream's rule; each slot is its owner's). Returns the previous value, or null.
   */
  setForUser(user: PublicKey | string, value: T): T | null {
    const key = toId(user, 'UserStorage.setForUser user');
    if (toHex(key) !== toHex(host().executor_id())) {
      throw new Error('UserStorage.setForUser: a call can only set the value of its own executor');
    }
    return this.insert(value);
  }

  /** This executor's value, or null. */
  get(): T | null {
    const id = this.peek();
    const raw = id === null ? null : host().js_user_storage_get(id);
    return raw === null ? null : decode<T>(raw);
  }

  /** The value of `user`, or null. */
  getForUser(user: Uint8Array | string): T | null {
    const id = this.peek();
    const key = toId(user, 'UserStorage.getForUser user');
    const raw = id === null ? null : host().js_user_storage_get_for_user(id, key);
    return raw === null ? null : decode<T>(raw);
  }

  /** Removes this executor's value; returns it, or null. */
  remove(): T | null {
    const id = this.writablePeek('remove');
    const raw = id === null ? null : host().js_user_storage_remove(id);
    return raw === null ? null : decode<T>(raw);
  }

  /** Whether this executor has a value. */
  containsCurrentUser(): boolean {
    const id = this.peek();
    return id !== null && host().js_user_storage_contains(id);
  }

  /** Whether `user` has a value. */
  containsUser(user: Uint8Array | string): boolean {
    const id = this.peek();
    const key = toId(user, 'UserStorage.containsUser user');
    return id !== null && host().js_user_storage_contains_user(id, key);
  }

  /** Every `[user, value]`, in the order of the users' ids. */
  entries(): [PublicKey, T][] {
    const id = this.peek();
    if (id === null) return [];
    return host()
      .js_crdt_map_iter(id)
      .map(([user, raw]): [PublicKey, T] => [user, decode<T>(raw)]);
  }

  /** Every user that has a value. */
  keys(): PublicKey[] {
    return this.entries().map(([user]) => user);
  }

  /** Every value. */
  values(): T[] {
    return this.entries().map(([, value]) => value);
  }

  /** The number of users that have a value. */
  size(): number {
    const id = this.peek();
    return id === null ? 0 : host().js_crdt_map_iter(id).length;
  }

  protected contents(): unknown {
    return this.get();
  }
}
