/**
 * `TextEncoder` and `TextDecoder` (UTF-8), which QuickJS lacks: installed as globals when
 * the SDK is imported, so apps written for browsers or Node.js run unchanged. Their types
 * are in `globals.d.ts`.
 *
 * Plain JS, not the host's UTF-8 helpers: upstream apps encode at their module's top level
 * (`const PREFIX = new TextEncoder().encode('…')`), which the build runs without a host.
 */

const LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);
const REPLACEMENT = 0xfffd;

/** Appends the UTF-8 bytes of code point `cp` to `out`. */
function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** The UTF-8 bytes of `input` (a lone surrogate becomes U+FFFD, as the standard says). */
function utf8(input: string): Uint8Array {
  const out: number[] = [];
  for (const char of input) {
    const cp = char.codePointAt(0) ?? REPLACEMENT;
    pushUtf8(out, cp >= 0xd800 && cp <= 0xdfff ? REPLACEMENT : cp);
  }
  return new Uint8Array(out);
}

/** The length of the UTF-8 sequence that `lead` starts, or 0 if it cannot start one. */
function sequenceLength(lead: number): number {
  return lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/** The text of UTF-8 `bytes`; each malformed sequence becomes one U+FFFD. */
function text(bytes: Uint8Array): string {
  const points: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    const size = sequenceLength(lead);
    let cp = size === 1 ? lead : size === 2 ? lead & 0x1f : size === 3 ? lead & 0x0f : lead & 0x07;
    let taken = 1;
    while (size > 1 && taken < size) {
      const next = bytes[i + taken] ?? 0;
      if ((next & 0xc0) !== 0x80) break;
      cp = (cp << 6) | (next & 0x3f);
      taken++;
    }
    const overlong = (size === 3 && cp < 0x800) || (size === 4 && cp < 0x10000);
    const invalid = size === 0 || taken < size || overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff);
    points.push(invalid ? REPLACEMENT : cp);
    i += invalid ? Math.max(1, taken) : size;
  }
  let out = '';
  for (let at = 0; at < points.length; at += 4096) out += String.fromCodePoint(...points.slice(at, at + 4096));
  return out;
}

class Utf8Encoder {
  readonly encoding = 'utf-8';

  encode(input = ''): Uint8Array {
    return utf8(String(input));
  }

  /** Writes as many whole characters of `source` as fit into `destination`. */
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    let read = 0;
    let written = 0;
    for (const char of source) {
      const bytes = utf8(char);
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += char.length;
    }
    return { read, written };
  }
}

class Utf8Decoder {
  readonly encoding = 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: only UTF-8 is supported here, not ${JSON.stringify(label)}`);
    }
    this.fatal = options.fatal === true;
    this.ignoreBOM = options.ignoreBOM === true;
  }

  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return '';
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    const decoded = text(bytes);
    return !this.ignoreBOM && decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  }
}

const scope = globalThis as unknown as Record<string, unknown>;
if (typeof scope['TextEncoder'] === 'undefined') scope['TextEncoder'] = Utf8Encoder;
if (typeof scope['TextDecoder'] === 'undefined') scope['TextDecoder'] = Utf8Decoder;
