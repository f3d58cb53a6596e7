/**
 * `@calimero/sdk/collections`: CRDT collections kept by the node, used through handles.
 *
 * Each class is exported through `defineKind` (so stored ids decode back into handles) as a
 * pure call: the bundler keeps only the collections an app uses, which keeps every call's
 * VM start small. Use them as classes: `new UnorderedMap<string, string>()`.
 */
import { defineKind } from './base';
import { UnorderedMap as MapClass } from './map';
import { UnorderedSet as SetClass } from './set';
import { Vector as VectorClass } from './vector';
import { Counter as CounterClass } from './counter';
import { LwwRegister as LwwClass } from './lww';
import { UserStorage as UserClass } from './user';
import { FrozenStorage as FrozenClass } from './frozen';

export { Collection } from './base';
export type { CollectionKind, CollectionOptions } from './base';
export type { LwwTimestamp, LwwRegisterOptions } from './lww';
export type { UnorderedSetOptions } from './set';
export type { CounterOptions } from './counter';
export type { PublicKey, UserStorageOptions } from './user';
export type { Hash, FrozenStorageOptions } from './frozen';
export * from './helpers';

export type UnorderedMap<K, V> = MapClass<K, V>;
export const UnorderedMap = /* @__PURE__ */ defineKind('map', MapClass);
export type UnorderedSet<T> = SetClass<T>;
export const UnorderedSet = /* @__PURE__ */ defineKind('set', SetClass);
export type Vector<T> = VectorClass<T>;
export const Vector = /* @__PURE__ */ defineKind('vector', VectorClass);
export type Counter = CounterClass;
export const Counter = /* @__PURE__ */ defineKind('counter', CounterClass);
export type LwwRegister<T> = LwwClass<T>;
export const LwwRegister = /* @__PURE__ */ defineKind('lww', LwwClass);
export type UserStorage<T> = UserClass<T>;
export const UserStorage = /* @__PURE__ */ defineKind('user', UserClass);
export type FrozenStorage<T> = FrozenClass<T>;
export const FrozenStorage = /* @__PURE__ */ defineKind('frozen', FrozenClass);
