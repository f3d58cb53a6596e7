/**
 * One call, as the glue runs it (`__calimero_dispatch(method)`), and peer deltas
 * (`__calimero_sync_next(delta)`).
 *
 * A call: decode the arguments; build the logic instance (a fresh `new Logic()`, then the
 * stored root document's fields assigned over it); run the method (awaiting a promise);
 * unless it is a `@View`, persist the root document if its JSON changed, then
 * `flush_delta`; return the result. `init` builds the state from the static initializer
 * (or a fresh state instance) and always persists it. The root document is the JSON of the
 * state object's own fields, collections appearing by id (see codec.ts).
 *
 * A stored field whose collection kind differs from what this version's state class declares
 * (a map that became a counter, a plain value that became a collection) fails the call with
 * `StateMismatch`. Before a hot redeploy the node runs `__calimero_check_state`, which
 * reads the stored state the same way and changes nothing, so the switch can be refused.
 */
import { globals, host } from './host';
import { text } from './bytes';
import { decodeText, encodeText } from './codec';
import { app, methods, MethodEntry } from './registry';
import { abiMethod, AbiMethod, ArgumentError, decodeArgs, encodeReturn } from './args';
import { Collection, setReadOnly } from '../collections/base';

/** The export the node runs before switching a context to this version. */
const CHECK_STATE = '__calimero_check_state';

/** The stored state does not fit this version of the app's state class. */
export class StateMismatch extends Error {
  constructor(detail: string) {
    super(`the stored state does not fit this version of the app: ${detail}`);
    this.name = 'StateMismatch';
  }
}

function describe(value: unknown): string {
  if (value instanceof Collection) return `a collection of kind "${value.kind}"`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  if (value instanceof Set) return 'a Set';
  if (value instanceof Uint8Array) return 'bytes';
  return `a ${typeof value}`;
}

/**
 * Throws `StateMismatch` if a stored field and the fresh instance's disagree on being a
 * collection, or on its kind. Plain fields are JSON and may change shape freely.
 */
function checkFits(fresh: object, stored: Record<string, unknown>): void {
  const declared = fresh as Record<string, unknown>;
  for (const key of Object.keys(stored)) {
    const want = declared[key];
    const have = stored[key];
    if (want === undefined || want === null || have === null) continue;
    if (!(want instanceof Collection) && !(have instanceof Collection)) continue;
    if (describe(want) !== describe(have)) {
      throw new StateMismatch(`field "${key}" is stored as ${describe(have)}, but this version declares ${describe(want)}`);
    }
  }
}

/** The root document as this call read it (null: none yet): an unchanged one is not re-saved. */
let loadedDoc: string | null = null;

function logicClass(method: string): new () => object {
  if (app.logic === null) {
    throw new Error(`${method}: the app has no @Logic class (decorate one: @Logic(MyState) export class ...)`);
  }
  return app.logic as unknown as new () => object;
}

function loadState(method: string): object {
  const self = new (logicClass(method))();
  loadedDoc = null;
  if (app.state === null) return self;
  const raw = host().read_root_state();
  if (raw === null) return self;
  loadedDoc = text(raw);
  const fields = decodeText<unknown>(loadedDoc);
  if (fields !== null && typeof fields === 'object') {
    checkFits(self, fields as Record<string, unknown>);
    Object.assign(self, fields);
  }
  return self;
}

function saveState(state: object): void {
  if (app.state === null) return;
  const doc = encodeText(state);
  if (doc === loadedDoc) return;
  const now = host().time_now();
  host().persist_root_state(doc, now, now);
  loadedDoc = doc;
}

function finish(method: string, entry: MethodEntry, abi: AbiMethod | null, state: object, result: unknown): void {
  if (entry.kind !== 'view') {
    saveState(state);
    host().flush_delta();
  }
  let out: string | null;
  try {
    out = entry.kind === 'init' ? null : encodeReturn(abi, result);
  } catch (e) {
    // The node then stores nothing of the call: its result is part of what it promised.
    host().value_return(`${method}: the result cannot be sent as JSON (${String(e)})`, true);
    return;
  }
  if (out !== null) host().value_return(out);
}

function run(method: string, entry: MethodEntry, abi: AbiMethod | null, args: unknown[]): unknown {
  setReadOnly(entry.kind === 'view');
  if (entry.kind === 'init') {
    if (app.state !== null && host().read_root_state() !== null) {
      host().value_return('init: this context already has its state (init runs once, when the context is created)', true);
      return undefined;
    }
    const Logic = logicClass(method);
    const made = entry.fn.apply(Logic, args);
    const settle = (value: unknown): void => {
      loadedDoc = null;
      const state = value !== null && typeof value === 'object' ? value : new Logic();
      finish(method, entry, abi, state, undefined);
    };
    return made instanceof Promise ? made.then(settle) : settle(made);
  }
  const state = loadState(method);
  const result = entry.fn.apply(state, args);
  if (result instanceof Promise) return result.then((value: unknown) => finish(method, entry, abi, state, value));
  finish(method, entry, abi, state, result);
  return undefined;
}

/** `__calimero_check_state`: read the stored state as a call would; Err says why it cannot. */
function checkState(): void {
  setReadOnly(true);
  try {
    loadState(CHECK_STATE);
  } catch (e) {
    host().value_return(e instanceof Error ? e.message : String(e), true);
  }
}

function dispatch(method: string): unknown {
  if (method === CHECK_STATE) return checkState();
  const entry = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
  if (entry === undefined) {
    host().value_return(`unknown method ${JSON.stringify(method)}; the app has: ${Object.keys(methods).join(', ')}`, true);
    return undefined;
  }
  const abi = abiMethod(method);
  let args: unknown[];
  try {
    args = decodeArgs(method, abi, text(host().input()));
  } catch (e) {
    if (!(e instanceof ArgumentError)) throw e;
    host().value_return(e.message, true);
    return undefined;
  }
  return run(method, entry, abi, args);
}

/** Merges a peer's delta (the node's `host-actions` payload) into this node's collections. */
function syncNext(delta: Uint8Array): void {
  if (delta.length > 0) host().apply_storage_delta(delta);
}

globals.__calimero_dispatch = dispatch;
globals.__calimero_sync_next = syncNext;
