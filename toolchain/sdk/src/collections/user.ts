/**
 * `UserStorage<T>`: one value per executor (member). A call writes only its own executor's
 * slot; anyone reads any slot. Users are 32-byte ids (bytes, hex or base58).
 */
import { host } from '../internal/host';
import { toId } from '../internal/bytes';
import { decode, encode } from '../internal/codec';
import { Collection, CollectionOptions } from './base';

export class UserStorage<T> extends Collection {
  get kind(): 'user' {
    return 'user';
  }

  constructor(options: CollectionOptions = {}) {
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
    const previous = host().js_user_storage_insert(this.writable('insert'), encode(value));
    return previous === null ? null : decode<T>(previous);
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

  protected contents(): unknown {
    return this.get();
  }
}
