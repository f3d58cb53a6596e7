/**
 * kv-store: a replicated key-value store (the default app of `devnet up`).
 *
 * Any member can `set` and `remove`; every node converges to the same entries (the latest
 * write of a key wins). Around the map: a counter of writes over all nodes (`hits`), the
 * last writer (an LWW register), per-key tag sets (a map of sets) and events.
 *
 * Events stay within the node's limits (as upstream's: 100 events per call, 16 KiB of data
 * each) whatever the data: `clear` emits one event however many entries it removes, and a
 * long value is left out of its `ItemSet` (read it with `get`).
 */
import { State, Logic, Init, View, Event, emit } from '@calimero/sdk';
import { UnorderedMap, UnorderedSet, Counter, LwwRegister } from '@calimero/sdk/collections';
import * as env from '@calimero/sdk/env';

/** Characters of key + value an `ItemSet` carries at most: 6 bytes of JSON each at worst
 * (an escaped control character), so the event stays under 16 KiB. */
const EVENT_TEXT_LIMIT = 2048;

@Event
export class ItemSet {
  /** `value` is null when key and value are longer than `EVENT_TEXT_LIMIT` together. */
  constructor(public key: string, public value: string | null) {}
}

@Event
export class ItemRemoved {
  constructor(public key: string) {}
}

@Event
export class ItemsCleared {
  constructor(public count: number) {}
}

@State
export class KvStore {
  items: UnorderedMap<string, string> = new UnorderedMap();
  tagSets: UnorderedMap<string, UnorderedSet<string>> = new UnorderedMap();
  writes: Counter = new Counter();
  writer: LwwRegister<string> = new LwwRegister();
}

@Logic(KvStore)
export class KvStoreLogic extends KvStore {
  @Init
  static init(): KvStore {
    return new KvStore();
  }

  /** Sets `key` to `value`. */
  set(key: string, value: string): void {
    if (key === '') {
      throw new Error('set: the key must not be empty');
    }
    this.items.set(key, value);
    this.writes.increment();
    this.writer.set(env.executorIdBase58());
    const fits = key.length + value.length <= EVENT_TEXT_LIMIT;
    emit(new ItemSet(key, fits ? value : null));
  }

  /** The value of `key`, or null. */
  @View()
  get(key: string): string | null {
    return this.items.get(key);
  }

  /** Every entry, as an object. */
  @View()
  entries(): Record<string, string> {
    return Object.fromEntries(this.items.entries());
  }

  /** The number of entries. */
  @View()
  len(): number {
    return this.items.size();
  }

  /** Removes `key`; returns its value, or null if it was not set. */
  remove(key: string): string | null {
    const value = this.items.remove(key);
    if (value !== null) {
      emit(new ItemRemoved(key));
    }
    return value;
  }

  /** Removes every entry; emits one `ItemsCleared` with how many there were. */
  clear(): void {
    const keys = this.items.keys();
    for (const key of keys) {
      this.items.remove(key);
    }
    if (keys.length > 0) {
      emit(new ItemsCleared(keys.length));
    }
  }

  /** How many times `set` ran, on every node together. */
  @View()
  hits(): number {
    return Number(this.writes.value());
  }

  /** Who wrote last (base58 identity), or null. */
  @View()
  lastWriter(): string | null {
    return this.writer.get();
  }

  /** Adds `tag` to `key`'s tags (a set inside the map, created on first use). */
  tag(key: string, tag: string): void {
    let tags = this.tagSets.get(key);
    if (tags === null) {
      tags = new UnorderedSet<string>();
      this.tagSets.set(key, tags);
    }
    tags.add(tag);
  }

  /** The tags of `key`. */
  @View()
  tags(key: string): string[] {
    return this.tagSets.get(key)?.toArray() ?? [];
  }
}
