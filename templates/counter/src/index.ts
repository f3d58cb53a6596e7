/**
 * counter: the smallest replicated app. Every node can `increment`; increments made
 * concurrently on different nodes all count (a grow-only counter per member, summed).
 */
import { State, Logic, Init, View } from '@calimero/sdk';
import { Counter } from '@calimero/sdk/collections';

@State
export class CounterState {
  count: Counter = new Counter();
}

@Logic(CounterState)
export class CounterLogic extends CounterState {
  @Init
  static init(): CounterState {
    return new CounterState();
  }

  /** Adds one; returns the new total. */
  increment(): number {
    this.count.increment();
    return Number(this.count.value());
  }

  /** The total over every node. */
  @View()
  get(): number {
    return Number(this.count.value());
  }
}
