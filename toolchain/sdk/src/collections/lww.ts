/** `LwwRegister<T>`: one value; the write with the latest timestamp wins everywhere. */
import { host } from '../internal/host';
import { decode, encode } from '../internal/codec';
import { Collection, CollectionOptions } from './base';

/** When and where the register's value was written (a hybrid logical clock stamp). */
export interface LwwTimestamp {
  /** The HLC time (u64). */
  time: bigint;
  /** The HLC node id (u128) that breaks ties between equal times. */
  id: bigint;
}

function littleEndian(bytes: Uint8Array, from: number, to: number): bigint {
  let out = 0n;
  for (let i = to - 1; i >= from; i--) out = (out << 8n) | BigInt(bytes[i] ?? 0);
  return out;
}

/** Options of `new LwwRegister()`. */
export interface LwwRegisterOptions<T> extends CollectionOptions {
  /** The value a new register starts with, set when it is created on the host. */
  initialValue?: T | null;
}

export class LwwRegister<T> extends Collection {
  get kind(): 'lww' {
    return 'lww';
  }

  private initial: { value: T | null } | null;

  constructor(options: LwwRegisterOptions<T> = {}) {
    super(options);
    const value = options.initialValue;
    this.initial = options.id === undefined && value !== undefined ? { value } : null;
  }

  /** A handle on the existing register `id`. */
  static fromId<T>(id: Uint8Array | string): LwwRegister<T> {
    return new LwwRegister<T>({ id });
  }

  protected create(): Uint8Array {
    return host().js_crdt_lww_new();
  }

  protected override seeded(): boolean {
    return this.initial !== null && this.initial.value !== null;
  }

  protected override seed(id: Uint8Array): void {
    if (this.initial !== null && this.initial.value !== null) {
      host().js_crdt_lww_set(id, encode(this.initial.value));
    }
    this.initial = null;
  }

  /** Sets the value (stamped now, even if it equals the current one). */
  set(value: T): void {
    host().js_crdt_lww_set(this.writable('set'), encode(value));
  }

  /** The value, or null when empty. */
  get(): T | null {
    const id = this.peek();
    const raw = id === null ? null : host().js_crdt_lww_get(id);
    return raw === null ? null : decode<T>(raw);
  }

  /** Empties the register (a write like any other: a later set wins over it). */
  clear(): void {
    host().js_crdt_lww_set(this.writable('clear'), null);
  }

  override clearContents(): void {
    if (this.peek() !== null) this.clear();
  }

  /**
   * When the current value was written: the HLC time (nanoseconds since the Unix epoch) as
   * a number, as upstream returns it, or null when empty. `stamp()` has the exact stamp.
   */
  timestamp(): number | null {
    const stamp = this.stamp();
    return stamp === null ? null : Number(stamp.time);
  }

  /** The exact stamp of the current value (HLC time and node id), or null when empty. */
  stamp(): LwwTimestamp | null {
    const id = this.peek();
    const raw = id === null ? null : host().js_crdt_lww_timestamp(id);
    if (raw === null || raw.length < 24) return null;
    return { time: littleEndian(raw, 0, 8), id: littleEndian(raw, 8, 24) };
  }

  protected contents(): unknown {
    return this.get();
  }
}
