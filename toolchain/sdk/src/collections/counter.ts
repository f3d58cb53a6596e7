/**
 * `Counter`: a grow-only counter. Each executor (member) has its own count; the value is the
 * sum, so concurrent increments on different nodes all count.
 */
import { host } from '../internal/host';
import { toId } from '../internal/bytes';
import { Collection, CollectionOptions } from './base';

/** Increments one `incrementBy` may make: each is one replicated action. */
const MAX_STEP = 100_000;

export class Counter extends Collection {
  get kind(): 'counter' {
    return 'counter';
  }

  constructor(options: CollectionOptions = {}) {
    super(options);
  }

  /** A handle on the existing counter `id`. */
  static fromId(id: Uint8Array | string): Counter {
    return new Counter({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_counter_new();
  }

  /** Adds one. */
  increment(): void {
    host().js_crdt_counter_increment(this.writable('increment'));
  }

  /** Adds `n` (a whole number from 0 to 100 000; the host adds one at a time). */
  incrementBy(n: number | bigint): void {
    const step = Number(n);
    if (!Number.isInteger(step) || step < 0 || step > MAX_STEP) {
      throw new RangeError(`Counter.incrementBy: ${String(n)} is not a whole number in 0..${MAX_STEP}`);
    }
    const id = this.writable('incrementBy');
    for (let i = 0; i < step; i++) host().js_crdt_counter_increment(id);
  }

  /** The total over every executor. */
  value(): bigint {
    const id = this.peek();
    return id === null ? 0n : host().js_crdt_counter_value(id);
  }

  /** The count of one executor (32-byte id, hex or base58), this call's executor by default. */
  getExecutorCount(executor?: Uint8Array | string): bigint {
    const id = this.peek();
    if (id === null) return 0n;
    const who = executor === undefined ? null : toId(executor, 'Counter.getExecutorCount executor');
    return host().js_crdt_counter_get_executor_count(id, who);
  }

  protected contents(): unknown {
    return this.value().toString();
  }
}
