/**
 * `Counter`: a grow-only counter. Each executor (member) has its own count; the value is the
 * sum, so concurrent increments on different nodes all count.
 */
import { host } from '../internal/host';
import { toId } from '../internal/bytes';
import { Collection, CollectionOptions } from './base';

/** Increments one `incrementBy` may make: each is one replicated action. */
const MAX_STEP = 100_000;

/** Options of `new Counter()`. */
export interface CounterOptions extends CollectionOptions {
  /** What a new counter starts at (counted for this executor when it is created). */
  initialValue?: number | bigint;
}

function checkedStep(n: number | bigint, what: string): number {
  const step = Number(n);
  if (!Number.isInteger(step) || step < 0 || step > MAX_STEP) {
    throw new RangeError(`${what}: ${String(n)} is not a whole number in 0..${MAX_STEP}`);
  }
  return step;
}

export class Counter extends Collection {
  get kind(): 'counter' {
    return 'counter';
  }

  private initial: number;

  constructor(options: CounterOptions = {}) {
    super(options);
    this.initial = options.id === undefined ? checkedStep(options.initialValue ?? 0, 'Counter initialValue') : 0;
  }

  /** A handle on the existing counter `id`. */
  static fromId(id: Uint8Array | string): Counter {
    return new Counter({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_counter_new();
  }

  protected override seeded(): boolean {
    return this.initial > 0;
  }

  protected override seed(id: Uint8Array): void {
    for (let i = 0; i < this.initial; i++) host().js_crdt_counter_increment(id);
    this.initial = 0;
  }

  /** Adds one. */
  increment(): void {
    host().js_crdt_counter_increment(this.writable('increment'));
  }

  /** Adds `n` (a whole number from 0 to 100 000; the host adds one at a time). */
  incrementBy(n: number | bigint): void {
    const step = checkedStep(n, 'Counter.incrementBy');
    const id = this.writable('incrementBy');
    for (let i = 0; i < step; i++) host().js_crdt_counter_increment(id);
  }

  /** The total over every executor. */
  value(): bigint {
    const id = this.peek();
    return id === null ? 0n : host().js_crdt_counter_value(id);
  }

  /** The count of one executor (32-byte id, hex or base58), this call's executor by default. */
  getExecutorCount(executor?: Uint8Array | string): number {
    const id = this.peek();
    if (id === null) return 0;
    const who = executor === undefined ? null : toId(executor, 'Counter.getExecutorCount executor');
    return Number(host().js_crdt_counter_get_executor_count(id, who));
  }

  protected contents(): unknown {
    return this.value().toString();
  }
}
