/** PLACEHOLDER `@calimero/sdk/env` (see index.ts): thin wrappers over `globalThis.__host`. */
const host = (globalThis as unknown as { __host: Record<string, (...a: unknown[]) => unknown> }).__host;

export function log(message: string): void {
  host.log_utf8(message);
}
export function timeNow(): bigint {
  return host.time_now() as bigint;
}
export function randomBytes(n: number): Uint8Array {
  return host.random_bytes(n) as Uint8Array;
}
export function panic(message: string): never {
  return host.panic_utf8(message, 1) as never;
}
