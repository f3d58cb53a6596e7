/**
 * `@Mergeable()`: a class whose instances, written over a stored value of the same place,
 * are merged with it instead of replacing it: by the class's `merge(stored, incoming)`
 * option, else field by field (the incoming fields win; fields that are themselves
 * mergeable merge in turn).
 *
 * In a map, concurrent writes merge too. A mergeable entry keeps its versions in an
 * add-wins set nested under the key: a write replaces the versions it has seen with the
 * merged value, so versions written concurrently on other nodes survive beside it, and a
 * read folds them with the same merge, in the order of their stored bytes (the same on
 * every node). `merge` should not depend on which argument is which for concurrent
 * writes to converge to one value. A user storage slot (one writer) merges in the writing
 * call only.
 */

type Ctor = abstract new (...args: never[]) => unknown;
type Merge = (stored: any, incoming: any) => any;

/** Options of `@Mergeable()`. */
export interface MergeableOptions {
  /** Returns the value to store from the stored one and the one being written. */
  merge?: Merge;
  /** The name the type is stored under (default: the class name). */
  type?: string;
}

interface Descriptor {
  type: string;
  merge: Merge | null;
}

const byClass = new Map<Ctor, Descriptor>();
const byType = new Map<string, Descriptor>();

/** Marks a class mergeable (see the module docs). */
export function Mergeable(options: MergeableOptions = {}) {
  return function mergeable<C extends Ctor>(ctor: C): void {
    const descriptor = { type: options.type ?? ctor.name, merge: options.merge ?? null };
    byClass.set(ctor, descriptor);
    byType.set(descriptor.type, descriptor);
  };
}

function descriptorOf(value: unknown): Descriptor | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return byClass.get((value as object).constructor as Ctor);
}

/** The stored type name of `value` if it is an instance of a `@Mergeable` class, else null. */
export function mergeableType(value: unknown): string | null {
  return descriptorOf(value)?.type ?? null;
}

/** Whether `value` is an instance of a `@Mergeable` class. */
export function isMergeable(value: unknown): boolean {
  return descriptorOf(value) !== undefined;
}

function fieldWise(stored: object, incoming: object): object {
  const out: Record<string, unknown> = { ...(stored as Record<string, unknown>) };
  for (const [key, value] of Object.entries(incoming as Record<string, unknown>)) {
    if (value === undefined) continue;
    out[key] = isMergeable(value) ? mergeValues(out[key], value) : value;
  }
  return Object.assign(Object.create(Object.getPrototypeOf(incoming) as object) as object, out);
}

function mergeWith(descriptor: Descriptor, stored: unknown, incoming: unknown): unknown {
  if (stored === null || typeof stored !== 'object') return incoming;
  if (incoming === null || typeof incoming !== 'object') return incoming;
  return descriptor.merge !== null ? descriptor.merge(stored, incoming) : fieldWise(stored, incoming);
}

/** `incoming` merged over `stored` (returns `incoming` unless it is mergeable). */
export function mergeValues<T>(stored: unknown, incoming: T): T {
  const descriptor = descriptorOf(incoming);
  return (descriptor === undefined ? incoming : mergeWith(descriptor, stored, incoming)) as T;
}

/** The versions of an entry of type `type` folded into one (null when there are none). */
export function foldVersions(type: string, versions: unknown[]): unknown {
  const descriptor = byType.get(type);
  if (versions.length === 0) return null;
  if (descriptor === undefined) return versions[versions.length - 1];
  return versions.reduce((stored, incoming) => mergeWith(descriptor, stored, incoming));
}
