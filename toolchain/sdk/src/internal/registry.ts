/**
 * The decorators and what they record: the app's logic and state classes, its methods (the
 * build reads `globalThis.__calimero_methods` to export one wasm function per method) and
 * its event classes (`globalThis.__calimero_events`, for the ABI manifest).
 *
 * Legacy (`experimentalDecorators`) semantics, as upstream apps are written: member
 * decorators run before the class decorator, so `@Logic` sees every `@View` and `@Init`.
 */
import { globals } from './host';

/** A class the SDK can instantiate. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ctor<T = object> = abstract new (...args: any[]) => T;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => unknown;

/** `init` runs once at context creation; a `view` saves nothing; a `call` may write. */
export type MethodKind = 'init' | 'view' | 'call';

/** One exported method (the shape the build's describe step reads). */
export interface MethodEntry {
  fn: AnyFn;
  kind: MethodKind;
  params?: string[];
}

export const methods: Record<string, MethodEntry> = {};
export const events: Record<string, unknown> = {};
globals.__calimero_methods = methods;
globals.__calimero_events = events;

/** The app as the decorators described it. */
export const app: { logic: Ctor | null; state: Ctor | null } = { logic: null, state: null };

const views = new Map<object, Set<string>>();
const inits = new Map<object, string>();

function isDirect(args: unknown[]): boolean {
  return args.length >= 2 && (typeof args[0] === 'object' || typeof args[0] === 'function');
}

/** Marks the application state class (`@State`). */
export function State(): (cls: Ctor) => void;
export function State(cls: Ctor): void;
export function State(cls?: Ctor): ((cls: Ctor) => void) | void {
  const mark = (target: Ctor): void => {
    app.state = target;
  };
  if (cls === undefined) return mark;
  mark(cls);
}

/** Marks a method read-only (`@View()`): it runs without saving state or producing a delta. */
export function View(): (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => void;
export function View(target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
export function View(...args: unknown[]): ((target: object, key: string | symbol) => void) | void {
  const mark = (target: object, key: string | symbol): void => {
    const names = views.get(target) ?? new Set<string>();
    names.add(String(key));
    views.set(target, names);
  };
  if (!isDirect(args)) return mark;
  mark(args[0] as object, args[1] as string);
}

/** Marks the static method that builds the initial state (`@Init`); it is exported as `init`. */
export function Init(): (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => void;
export function Init(target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
export function Init(...args: unknown[]): ((target: object, key: string | symbol) => void) | void {
  const mark = (target: object, key: string | symbol): void => {
    if (typeof target !== 'function') {
      throw new TypeError(`@Init must decorate a static method (found it on ${String(key)})`);
    }
    inits.set(target, String(key));
  };
  if (!isDirect(args)) return mark;
  mark(args[0] as object, args[1] as string);
}

/** Marks an event class (`@Event`): its instances are emitted with their fields as JSON. */
export function Event(): (cls: Ctor) => void;
export function Event(cls: Ctor): void;
export function Event(cls?: Ctor): ((cls: Ctor) => void) | void {
  const mark = (target: Ctor): void => {
    events[target.name] = target;
  };
  if (cls === undefined) return mark;
  mark(cls);
}

function collect(cls: Ctor, stop: object | null): void {
  for (let proto = cls.prototype as object | null; proto && proto !== Object.prototype && proto !== stop;
    proto = Object.getPrototypeOf(proto) as object | null) {
    const viewNames = views.get(proto);
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (name === 'constructor' || name.startsWith('_') || Object.prototype.hasOwnProperty.call(methods, name)) continue;
      if (!d || typeof d.value !== 'function') continue;
      methods[name] = { fn: d.value as AnyFn, kind: viewNames?.has(name) ? 'view' : 'call' };
    }
  }
}

/** The default `init` of a stateful app without one: the state class's fresh instance. */
function defaultInit(): object | undefined {
  return undefined;
}

/**
 * Marks the logic class (`@Logic(StateClass)`): its public methods (not starting with `_`)
 * become the app's methods, and its static `init` (or the `@Init` method) the `init` export.
 * A stateful app always exports `init`, so every collection of the state is created once,
 * at context creation, and shared by every node (ids created later would differ per node).
 */
export function Logic(stateClass?: Ctor): (cls: Ctor) => void {
  return (cls: Ctor): void => {
    if (app.logic !== null && app.logic !== cls) {
      throw new Error(`@Logic is used on ${app.logic.name} and on ${cls.name}: an app has one logic class`);
    }
    app.logic = cls;
    if (stateClass !== undefined) app.state = stateClass;
    collect(cls, stateClass === undefined ? null : (stateClass.prototype as object));
    const statics = cls as unknown as Record<string, unknown>;
    const initName = inits.get(cls) ?? (typeof statics['init'] === 'function' ? 'init' : null);
    if (initName !== null) {
      methods['init'] = { fn: statics[initName] as AnyFn, kind: 'init' };
    } else if (app.state !== null) {
      methods['init'] = { fn: defaultInit, kind: 'init', params: [] };
    }
  };
}
