/**
 * `@Mergeable()`: a class whose instances, written over a stored value of the same place
 * (a map entry, a user's slot), are merged with it instead of replacing it: by the class's
 * `merge(stored, incoming)` option, else field by field with the incoming fields winning
 * and fields that are themselves mergeable merged in turn.
 *
 * The merge runs in the call that writes. Two members writing the same place concurrently
 * still resolve last-writer-wins when their deltas meet (the node runs no app code while it
 * merges replicated state); see docs/sdk.md.
 */

type Ctor = abstract new (...args: never[]) => unknown;
type Merge = (stored: any, incoming: any) => any;

/** Options of `@Mergeable()`. */
export interface MergeableOptions {
  /** Returns the value to store from the stored one and the one being written. */
  merge?: Merge;
  /** A name for the type (defaults to the class name; kept for upstream's API). */
  type?: string;
}

const merges = new Map<Ctor, Merge | null>();

/** Marks a class mergeable (see the module docs). */
export function Mergeable(options: MergeableOptions = {}) {
  return function mergeable<C extends Ctor>(ctor: C): void {
    merges.set(ctor, options.merge ?? null);
  };
}

function mergeOf(value: unknown): Merge | null | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return merges.get((value as object).constructor as Ctor);
}

/** Whether `value` is an instance of a `@Mergeable` class. */
export function isMergeable(value: unknown): boolean {
  return mergeOf(value) !== undefined;
}

/** `incoming` merged over `stored` (returns `incoming` unless it is mergeable). */
export function mergeValues<T>(stored: unknown, incoming: T): T {
  const merge = mergeOf(incoming);
  if (merge === undefined || stored === null || typeof stored !== 'object') return incoming;
  if (merge !== null) return merge(stored, incoming) as T;
  const out: Record<string, unknown> = { ...(stored as Record<string, unknown>) };
  for (const [key, value] of Object.entries(incoming as Record<string, unknown>)) {
    if (value === undefined) continue;
    out[key] = isMergeable(value) ? mergeValues(out[key], value) : value;
  }
  return Object.assign(Object.create(Object.getPrototypeOf(incoming) as object) as object, out) as T;
}
