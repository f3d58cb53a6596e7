/**
 * TypeScript locations in stack traces. The build appends to the bundle a table from bundle
 * lines to TypeScript positions (`globalThis.__calimero_lines`, JSON: the bundle's name,
 * the source files, the bundle line ranges that are SDK code, and per app line its
 * segments `[bundleColumn, file, line, column]`, all 1-based).
 *
 * `Error.prepareStackTrace` (QuickJS-ng supports it) then writes every frame of app code as
 * `at fn (src/index.ts:12:5)` and SDK frames without a position. The glue reports an
 * uncaught error at the first frame that has a position, so a panic names the line of the
 * app that threw or that called into the SDK.
 */
import { globals } from './host';

interface CallSite {
  getFunctionName(): string | null;
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isNative(): boolean;
}

interface Table {
  bundle: string;
  files: string[];
  sdk: number[];
  lines: Record<string, number[]>;
}

/** Where a bundle position comes from: an app file position, SDK code, or unknown (null). */
type Origin = { file: string; line: number; column: number } | 'sdk' | null;

let table: Table | null | undefined;

function lineTable(): Table | null {
  if (table === undefined) {
    const json = globals.__calimero_lines;
    table = json ? (JSON.parse(json) as Table) : null;
  }
  return table;
}

/** True once the build's table is present: SDK frames are then left without a position. */
export function hasLineTable(): boolean {
  return lineTable() !== null;
}

function origin(t: Table, line: number, column: number): Origin {
  for (let i = 0; i + 1 < t.sdk.length; i += 2) {
    if (line >= (t.sdk[i] ?? 0) && line <= (t.sdk[i + 1] ?? 0)) return 'sdk';
  }
  const segs = t.lines[String(line)];
  if (segs === undefined || segs.length < 4) return null;
  let at = 0;
  for (let k = 4; k + 3 < segs.length && (segs[k] ?? 0) <= column; k += 4) at = k;
  const file = t.files[segs[at + 1] ?? 0];
  return file === undefined ? null : { file, line: segs[at + 2] ?? 0, column: segs[at + 3] ?? 0 };
}

function frame(site: CallSite): string {
  const name = site.getFunctionName() || '<anonymous>';
  const file = site.getFileName();
  if (site.isNative() || !file) return `    at ${name} (native)`;
  const line = site.getLineNumber() ?? 0;
  const column = site.getColumnNumber() ?? 0;
  const t = lineTable();
  const where = t !== null && file === t.bundle ? origin(t, line, column) : null;
  if (where === 'sdk') return `    at ${name} (@calimero/sdk)`;
  if (where !== null) return `    at ${name} (${where.file}:${where.line}:${where.column})`;
  return `    at ${name} (${file}:${line}:${column})`;
}

/** The stack text of an error: one `at` line per frame, as QuickJS writes it. */
export function formatStack(_error: unknown, sites: CallSite[]): string {
  return sites.map(frame).join('\n') + '\n';
}

(Error as unknown as { prepareStackTrace?: unknown }).prepareStackTrace = formatStack;
