/**
 * PLACEHOLDER SDK written by the toolchain engineer so that `devnet build` can be tested.
 * The real `@calimero/sdk` (decorators, collections, argument rules of SDK.md) replaces
 * this folder. It shows the protocol the build and the C glue expect from any SDK:
 *
 * - `globalThis.__calimero_methods`: an object whose keys are the exported method names
 *   (each value a function, or `{ fn?, params?, kind? }`); the build reads it by running the
 *   bundle once, so it must be filled while the module loads (decorators do that).
 * - `globalThis.__calimero_events` (optional): `{ [kind]: EventClass | { fields } }`.
 * - `globalThis.__calimero_dispatch(method: string)`: called by every method export.
 * - `globalThis.__calimero_sync_next(delta: Uint8Array)` (optional): applies a peer delta.
 * - `globalThis.__calimero_abi_json`: the build's ABI manifest (JSON text) at run time.
 * - `globalThis.__host`: the host functions (see toolchain/runtime/README.md).
 */

type Method = (...args: unknown[]) => unknown;
interface HostApi {
  input(): Uint8Array;
  value_return(value: Uint8Array | string, isErr?: boolean): void;
  log_utf8(message: string): void;
  panic_utf8(message: string, skipFrames?: number): never;
  emit(kind: string, data: Uint8Array | string): void;
  utf8_decode(bytes: Uint8Array): string;
}
interface Registry {
  [name: string]: Method;
}

const g = globalThis as unknown as {
  __host: HostApi;
  __calimero_methods: Registry;
  __calimero_events: Record<string, unknown>;
  __calimero_abi_json?: string;
  __calimero_dispatch: (method: string) => void;
};
const registry: Registry = (g.__calimero_methods = {});
g.__calimero_events = {};

/** Registers every public method of the class (and a static `init`) as an app method. */
export function Logic(_state?: unknown) {
  return (cls: { prototype: object; init?: Method }): void => {
    for (const name of Object.getOwnPropertyNames(cls.prototype)) {
      const fn = (cls.prototype as Record<string, unknown>)[name];
      if (name !== 'constructor' && !name.startsWith('_') && typeof fn === 'function') {
        registry[name] = fn as Method;
      }
    }
    if (typeof cls.init === 'function') registry.init = cls.init;
  };
}

export function State(_cls: unknown): void {}
export function Init(_t: unknown, _k: string): void {}
export function View() {
  return (_t: unknown, _k: string): void => {};
}
export function Event(cls: { name: string }): void {
  g.__calimero_events[cls.name] = cls;
}
export function emit(event: object): void {
  g.__host.emit(event.constructor.name, JSON.stringify(event));
}

function paramNames(method: string): string[] {
  const abi = g.__calimero_abi_json ? JSON.parse(g.__calimero_abi_json) : { methods: [] };
  const m = (abi.methods as { name: string; params: { name: string }[] }[]).find((x) => x.name === method);
  return m ? m.params.map((p) => p.name) : [];
}

g.__calimero_dispatch = (method: string): void => {
  const entry = registry[method];
  if (!entry) g.__host.panic_utf8(`no method ${method}`);
  const text = g.__host.utf8_decode(g.__host.input());
  const args = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const result = entry.apply({}, paramNames(method).map((p) => args[p]));
  g.__host.value_return(JSON.stringify(result === undefined ? null : result));
};
