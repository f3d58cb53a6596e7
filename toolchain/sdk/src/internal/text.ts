/**
 * `TextEncoder` and `TextDecoder` (UTF-8), which QuickJS lacks: installed as globals when
 * the SDK is imported, so apps written for browsers or Node.js run unchanged. Their types
 * are in `globals.d.ts`.
 */
import { text, utf8 } from './bytes';

const LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/** The UTF-8 byte length of the code point `cp`. */
function byteLength(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
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
      const size = byteLength(char.codePointAt(0) ?? 0);
      if (written + size > destination.length) break;
      destination.set(utf8(char), written);
      written += size;
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
