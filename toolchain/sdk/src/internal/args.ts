/**
 * Call arguments and return values (SDK.md):
 *
 * - The call's JSON is matched to the method's parameters by name (names come from the
 *   build's ABI manifest, `__calimero_abi_json`: the bytecode keeps no source). With one
 *   parameter, `{"<name>": v}` passes `v` and any other value is passed whole; with several,
 *   the named keys are passed, and if no key names a parameter the whole object becomes the
 *   first argument. A JSON array is taken as positional arguments. No arguments (`{}` or
 *   nothing) leave an optional first parameter undefined.
 * - A parameter typed `u64`/`i64`/`u128`/`i128`/`bigint` accepts a number or a decimal string
 *   (in the type's range) and receives a bigint.
 * - Returns are JSON (`toWire`); a method typed to return `string` whose value is JSON text
 *   of an object or array sends that JSON as is.
 */
import { globals } from './host';
import { toWire } from './codec';

/** A parameter as the ABI manifest describes it. */
export interface AbiParam {
  name: string | null;
  type: string | null;
  optional?: boolean;
}

/** A method as the ABI manifest describes it. */
export interface AbiMethod {
  name: string;
  kind?: string;
  params: AbiParam[];
  returns: string | null;
}

/** A client mistake in the arguments: the call returns it as an error, not a panic. */
export class ArgumentError extends Error {}

/** Integer parameter types that receive a bigint, with their bit width (0: unbounded). */
const BIG: Record<string, number> = { u64: 64, i64: 64, u128: 128, i128: 128, bigint: 0 };

function inRange(type: string, value: bigint): boolean {
  const bits = BIG[type] ?? 0;
  if (bits === 0) return true;
  const signed = type.startsWith('i');
  const limit = 1n << BigInt(signed ? bits - 1 : bits);
  return signed ? value >= -limit && value < limit : value >= 0n && value < limit;
}

/** The end (exclusive) of the JSON string starting at `open` (a quote), or -1. */
function stringEnd(json: string, open: number): number {
  for (let at = json.indexOf('"', open + 1); at >= 0; at = json.indexOf('"', at + 1)) {
    let slashes = 0;
    while (json.charCodeAt(at - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return at + 1;
  }
  return -1;
}

/** The text of `method`'s entry in the compact manifest JSON, or null if not found. */
function entryText(json: string, method: string): string | null {
  // Keys are in the build's order; `],"returns":` cannot occur inside a JSON string.
  const start = json.indexOf(`{"name":${JSON.stringify(method)},"kind":`);
  const returns = start < 0 ? -1 : json.indexOf('],"returns":', start);
  if (returns < 0) return null;
  const value = returns + '],"returns":'.length;
  const end = json.startsWith('null', value) ? value + 4 : stringEnd(json, value);
  return end > 0 && json.charAt(end) === '}' ? json.slice(start, end + 1) : null;
}

/** Entries parsed ahead of the calls: every method's in a VM snapshot, else none. */
const parsed: Record<string, AbiMethod> = {};

/**
 * The manifest entry of `method`, or null when the build embedded none. Parsing the whole
 * manifest costs more than many calls' own work, so the entry is cut out of it first.
 */
export function abiMethod(method: string): AbiMethod | null {
  if (Object.prototype.hasOwnProperty.call(parsed, method)) return parsed[method] as AbiMethod;
  const json = globals.__calimero_abi_json;
  if (!json) return null;
  const entry = entryText(json, method);
  if (entry !== null) return JSON.parse(entry) as AbiMethod;
  const abi = JSON.parse(json) as { methods?: AbiMethod[] };
  return abi.methods?.find((m) => m.name === method) ?? null;
}

// The top level of a snapshot build runs once, at build time: parse every entry there.
if (globals.__calimero_snapshot && globals.__calimero_abi_json) {
  const abi = JSON.parse(globals.__calimero_abi_json) as { methods?: AbiMethod[] };
  for (const m of abi.methods ?? []) parsed[m.name] = m;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// No regular expressions in the SDK: an app that uses none is linked without the RegExp
// engine (~80 KB less module).

/** True for an optional `-` and one or more ASCII digits (what `/^-?\d+$/` accepts). */
function isWholeNumberText(text: string): boolean {
  const start = text.charAt(0) === '-' ? 1 : 0;
  if (text.length === start) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `text` without its whitespace (the characters `\s` matches, which `trim` removes). */
function withoutWhitespace(text: string): string {
  let out = '';
  for (const ch of text) if (ch.trim() !== '') out += ch;
  return out;
}

function coerce(method: string, param: AbiParam, value: unknown): unknown {
  const type = param.type?.trim() ?? '';
  if (!Object.prototype.hasOwnProperty.call(BIG, type) || value === undefined || value === null) {
    return value;
  }
  const whole = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && isWholeNumberText(value));
  const big = typeof value === 'bigint' ? value : whole ? BigInt(value as number | string) : null;
  if (big !== null && inRange(type, big)) return big;
  throw new ArgumentError(
    `${method}: argument ${param.name ?? '?'} must be a ${type} (a whole number in range, or a ` +
      `decimal string), got ${toWire(value).slice(0, 100)}`
  );
}

/** The JS arguments of `method` for the call's input text. */
export function decodeArgs(method: string, abi: AbiMethod | null, input: string): unknown[] {
  let data: unknown = {};
  if (input.trim() !== '') {
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new ArgumentError(`${method}: the arguments are not JSON (${String(e)}): ${input.slice(0, 100)}`);
    }
  }
  const params = abi?.params ?? [];
  if (params.length === 0) return Array.isArray(data) ? data : [];
  if (Array.isArray(data)) return params.map((p, i) => coerce(method, p, data[i]));
  const named = isRecord(data) && params.some((p) => p.name !== null && Object.prototype.hasOwnProperty.call(data, p.name));
  if (!named || !isRecord(data)) {
    const [first] = params;
    if (first === undefined || (first.optional && isRecord(data) && Object.keys(data).length === 0)) return [];
    return [coerce(method, first, data)];
  }
  return params.map((p) => {
    const present = p.name !== null && Object.prototype.hasOwnProperty.call(data, p.name);
    if (!present && !p.optional && params.length > 1) {
      throw new ArgumentError(`${method}: missing argument ${JSON.stringify(p.name)} (the call sent ${toWire(Object.keys(data))})`);
    }
    return coerce(method, p, present ? data[p.name as string] : undefined);
  });
}

function returnsString(abi: AbiMethod | null): boolean {
  const raw = abi?.returns ?? '';
  if (raw === 'string' || raw === 'Promise<string>') return true;
  if (raw.indexOf('|') >= 0) return false; // a union, e.g. `string | null`: no JS loop per call
  const type = withoutWhitespace(raw);
  return type === 'string' || type === 'Promise<string>';
}

/** The bytes a method's result is returned as, or null for `undefined` (no return value). */
export function encodeReturn(abi: AbiMethod | null, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && returnsString(abi)) {
    const head = value.trimStart().charAt(0);
    if (head === '{' || head === '[') {
      try {
        JSON.parse(value);
        return value;
      } catch {
        // not JSON after all: sent as a string below
      }
    }
  }
  return toWire(value);
}
