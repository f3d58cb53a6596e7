/**
 * Events: `emit(new ItemSet(k, v))` sends kind `ItemSet` (the class name) with the JSON of
 * the instance's fields as data. `emitWithHandler(event, 'onItemSet')` also makes every
 * node that *receives* the change run the app's `onItemSet` method with that JSON as its
 * argument (the author does not run it).
 */
import { host } from './host';
import { toWire } from './codec';
import { methods } from './registry';

function kindOf(event: object): string {
  const name = (event.constructor as { name?: string } | undefined)?.name;
  if (name && name !== 'Object') return name;
  const declared = (event as { type?: unknown; kind?: unknown }).type ?? (event as { kind?: unknown }).kind;
  if (typeof declared === 'string' && declared) return declared;
  throw new TypeError('emit: pass an instance of an @Event class (or an object with a string "type")');
}

/** Emits `event` to the context's subscribers. */
export function emit(event: object): void {
  host().emit(kindOf(event), toWire(event));
}

/** Emits `event`; every receiving node also runs the app's method `handler` with it. */
export function emitWithHandler(event: object, handler: string): void {
  if (!Object.prototype.hasOwnProperty.call(methods, handler)) {
    throw new Error(`emitWithHandler: the app has no method ${JSON.stringify(handler)} to handle ${kindOf(event)}`);
  }
  host().emit_with_handler(kindOf(event), toWire(event), handler);
}
