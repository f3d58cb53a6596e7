/**
 * Factory functions for the collections, under upstream's names: `createUnorderedMap()` is
 * `new UnorderedMap()`, and so on. Upstream recommends them in state field initializers.
 */
// From the index, not the class modules: a collection an app makes only through a helper
// must still be registered (`defineKind`) so its stored handles decode.
import { UnorderedMap, UnorderedSet, Vector, Counter, LwwRegister, UserStorage, FrozenStorage } from './index';
import type { UnorderedSetOptions } from './set';
import type { CounterOptions } from './counter';
import type { LwwRegisterOptions } from './lww';
import type { UserStorageOptions } from './user';
import type { FrozenStorageOptions } from './frozen';
import type { CollectionOptions } from './base';

export function createUnorderedMap<K, V>(options?: CollectionOptions): UnorderedMap<K, V> {
  return new UnorderedMap<K, V>(options);
}

export function createUnorderedSet<T>(options?: UnorderedSetOptions<T>): UnorderedSet<T> {
  return new UnorderedSet<T>(options);
}

export function createVector<T>(options?: CollectionOptions): Vector<T> {
  return new Vector<T>(options);
}

export function createCounter(options?: CounterOptions): Counter {
  return new Counter(options);
}

export function createLwwRegister<T>(options?: LwwRegisterOptions<T>): LwwRegister<T> {
  return new LwwRegister<T>(options);
}

export function createUserStorage<T>(options?: UserStorageOptions): UserStorage<T> {
  return new UserStorage<T>(options);
}

export function createFrozenStorage<T>(options?: FrozenStorageOptions): FrozenStorage<T> {
  return new FrozenStorage<T>(options);
}
