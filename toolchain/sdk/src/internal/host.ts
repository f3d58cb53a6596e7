/**
 * The JS-facing host object the C glue installs as `globalThis.__host`
 * (toolchain/runtime/README.md). Every SDK module reaches the host through `host()`.
 */

/** Bytes the host accepts: a string is sent as UTF-8. */
export type Bytes = Uint8Array | ArrayBuffer | string;

/** `globalThis.__host`: the node's imports as functions over bytes. */
export interface Host {
  input(): Uint8Array;
  value_return(value: Bytes, isErr?: boolean): void;
  log_utf8(message: Bytes): void;
  panic_utf8(message: Bytes, skipFrames?: number): never;
  utf8_encode(text: string): Uint8Array;
  utf8_decode(bytes: Bytes): string;
  hex_encode(bytes: Bytes): string;
  hex_decode(text: string): Uint8Array | null;
  base58_encode(bytes: Bytes): string;
  context_id(): Uint8Array;
  executor_id(): Uint8Array;
  time_now(): bigint;
  random_bytes(n: number): Uint8Array;
  storage_read(key: Bytes): Uint8Array | null;
  storage_write(key: Bytes, value: Bytes): Uint8Array | null;
  storage_remove(key: Bytes): Uint8Array | null;
  commit(rootHash: Bytes, artifact: Bytes): void;
  private_storage_read(key: Bytes): Uint8Array | null;
  private_storage_write(key: Bytes, value: Bytes): boolean;
  private_storage_remove(key: Bytes): Uint8Array | null;
  context_is_member(publicKey: Bytes): boolean;
  /** Borsh `Vec<[u8; 32]>`: u32 LE count, then 32 bytes per member. */
  context_members(): Uint8Array;
  emit(kind: Bytes, data: Bytes): void;
  emit_with_handler(kind: Bytes, data: Bytes, handler: Bytes | null): void;
  xcall(contextId: Bytes, method: Bytes, params: Bytes): void;
  ed25519_verify(signature: Bytes, publicKey: Bytes, message: Bytes): boolean;
  blob_create(): bigint;
  blob_open(blobId: Bytes): bigint;
  blob_read(fd: bigint | number, buffer: Uint8Array): bigint;
  blob_write(fd: bigint | number, data: Bytes): bigint;
  blob_close(fd: bigint | number, blobIdOut: Uint8Array): boolean;
  blob_announce_to_context(blobId: Bytes, contextId: Bytes): boolean;
  persist_root_state(doc: Bytes, createdAt: bigint | number, updatedAt: bigint | number): void;
  read_root_state(): Uint8Array | null;
  flush_delta(): boolean;
  apply_storage_delta(delta: Bytes): void;
  js_crdt_map_new(): Uint8Array;
  js_crdt_map_get(id: Bytes, key: Bytes): Uint8Array | null;
  js_crdt_map_insert(id: Bytes, key: Bytes, value: Bytes): Uint8Array | null;
  js_crdt_map_remove(id: Bytes, key: Bytes): Uint8Array | null;
  js_crdt_map_contains(id: Bytes, key: Bytes): boolean;
  js_crdt_map_iter(id: Bytes): [Uint8Array, Uint8Array][];
  /** devnet: the id of the `kind` collection nested under `key` (the same on every node). */
  js_crdt_map_child(id: Bytes, key: Bytes, kind: number): Uint8Array;
  js_crdt_vector_new(): Uint8Array;
  js_crdt_vector_len(id: Bytes): number;
  js_crdt_vector_push(id: Bytes, value: Bytes): void;
  js_crdt_vector_get(id: Bytes, index: number | bigint): Uint8Array | null;
  js_crdt_vector_pop(id: Bytes): Uint8Array | null;
  js_crdt_set_new(): Uint8Array;
  js_crdt_set_insert(id: Bytes, value: Bytes): boolean;
  js_crdt_set_contains(id: Bytes, value: Bytes): boolean;
  js_crdt_set_remove(id: Bytes, value: Bytes): boolean;
  js_crdt_set_len(id: Bytes): number;
  js_crdt_set_iter(id: Bytes): Uint8Array[];
  js_crdt_set_clear(id: Bytes): void;
  js_crdt_lww_new(): Uint8Array;
  js_crdt_lww_set(id: Bytes, value: Bytes | null): void;
  js_crdt_lww_get(id: Bytes): Uint8Array | null;
  js_crdt_lww_timestamp(id: Bytes): Uint8Array | null;
  js_crdt_counter_new(): Uint8Array;
  js_crdt_counter_increment(id: Bytes): void;
  js_crdt_counter_value(id: Bytes): bigint;
  js_crdt_counter_get_executor_count(id: Bytes, executor: Bytes | null): bigint;
  js_user_storage_new(): Uint8Array;
  js_user_storage_insert(id: Bytes, value: Bytes): Uint8Array | null;
  js_user_storage_get(id: Bytes): Uint8Array | null;
  js_user_storage_get_for_user(id: Bytes, user: Bytes): Uint8Array | null;
  js_user_storage_remove(id: Bytes): Uint8Array | null;
  js_user_storage_contains(id: Bytes): boolean;
  js_user_storage_contains_user(id: Bytes, user: Bytes): boolean;
  js_frozen_storage_new(): Uint8Array;
  js_frozen_storage_add(id: Bytes, value: Bytes): Uint8Array;
  js_frozen_storage_get(id: Bytes, hash: Bytes): Uint8Array | null;
  js_frozen_storage_contains(id: Bytes, hash: Bytes): boolean;
}

/** What the SDK, the build and the glue share on `globalThis`. */
export interface CalimeroGlobals {
  __host: Host;
  __calimero_methods?: Record<string, unknown>;
  __calimero_events?: Record<string, unknown>;
  __calimero_dispatch?: (method: string) => unknown;
  __calimero_sync_next?: (delta: Uint8Array) => void;
  /** The build's ABI manifest (JSON text), set by the glue before the module runs. */
  __calimero_abi_json?: string;
  /** True while the module's top level runs for a build-time VM snapshot (set by the glue). */
  __calimero_snapshot?: boolean;
  /** The build's bundle-line -> TypeScript table (JSON text), appended to the bundle. */
  __calimero_lines?: string;
}

/** The global object, typed with what the SDK reads and writes there. */
export const globals = globalThis as unknown as CalimeroGlobals;

/**
 * Returns the host object. Looked up on each use: at build time the module's top level
 * runs against a stub whose every function throws, so nothing may call it while loading.
 */
export function host(): Host {
  return globals.__host;
}
