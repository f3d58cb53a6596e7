/**
 * `@calimero/sdk/env`: the node's environment for the running call.
 *
 * `Date.now()` / `new Date()` read the node's clock (the same as `timeNow()`), and
 * `Math.random()` draws from the node's randomness: neither is a constant. Both differ
 * between nodes, so keep them out of replicated data unless that is what you want.
 */
import { host } from './internal/host';
import { fromHex, toBase58, toHex, toId, utf8 } from './internal/bytes';
import { hasLineTable } from './internal/stack';
import { toWire } from './internal/codec';
import { refused } from './internal/refused';
export { emit, emitWithHandler } from './internal/events';

type Key = Uint8Array | string;

/** Appends a line to the call's log. */
export function log(message: string): void {
  host().log_utf8(String(message));
}

/** Stops the call with `message`, reported at the caller's TypeScript line; nothing is saved. */
export function panic(message: string): never {
  // With the build's line table SDK frames carry no position, so the caller is frame 0.
  return host().panic_utf8(String(message), hasLineTable() ? 0 : 1);
}

/** The context's 32-byte id. */
export function contextId(): Uint8Array {
  return host().context_id();
}

/** The context id as hex. */
export function contextIdHex(): string {
  return toHex(contextId());
}

/** The context id as base58 (how clients and the node's API show it). */
export function contextIdBase58(): string {
  return toBase58(contextId());
}

/** The executing member's 32-byte identity (the node's own identity in this context). */
export function executorId(): Uint8Array {
  return host().executor_id();
}

/** The executor id as hex. */
export function executorIdHex(): string {
  return toHex(executorId());
}

/** The executor id as base58. */
export function executorIdBase58(): string {
  return toBase58(executorId());
}

/** The node's time in nanoseconds since the Unix epoch (unique across the devnet's nodes). */
export function timeNow(): bigint {
  return host().time_now();
}

/** `n` random bytes; or, given a Uint8Array, fills it and returns it (upstream's form). */
export function randomBytes(n: number | Uint8Array): Uint8Array {
  if (n instanceof Uint8Array) {
    n.set(host().random_bytes(n.length));
    return n;
  }
  return host().random_bytes(n);
}

/*
 * The storage* functions reach the context's node-local storage (the host's
 * private_storage_* imports): never replicated, not part of the state or its root hash,
 * kept by every call that does not fail (views included), deleted with the context.
 */

/** Reads the context's node-local storage (not replicated, not part of the state). */
export function storageRead(key: Key): Uint8Array | null {
  return host().private_storage_read(key);
}

/** Writes the context's node-local storage; returns true if the key existed. */
export function storageWrite(key: Key, value: Key): boolean {
  const existed = host().private_storage_read(key) !== null;
  host().private_storage_write(key, value);
  return existed;
}

/** Removes a key of the context's node-local storage; returns true if it existed. */
export function storageRemove(key: Key): boolean {
  return host().private_storage_remove(key) !== null;
}

/**
 * Queues a call of `method` on another context of this node, run after this call.
 * `params` is sent as is if it is bytes or a string, else as JSON.
 */
export function xcall(context: Uint8Array | string, method: string, params: unknown = {}): void {
  const body = params instanceof Uint8Array || typeof params === 'string' ? params : toWire(params);
  host().xcall(toId(context, 'xcall context id'), method, body);
}

/** True if `publicKey` (32 bytes, or hex / base58) is a member of this context on this node. */
export function contextIsMember(publicKey: Uint8Array | string): boolean {
  return host().context_is_member(toId(publicKey, 'contextIsMember public key'));
}

/** The members of this context as this node knows them (32-byte public keys). */
export function contextMembers(): Uint8Array[] {
  const raw = host().context_members();
  const count = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0, true);
  const members: Uint8Array[] = [];
  for (let i = 0; i < count; i++) members.push(raw.slice(4 + 32 * i, 36 + 32 * i));
  return members;
}

/*
 * Upstream's context governance: a devnet has none (members join a context by `devnet
 * join`, every node may, and contexts are made by the admin API), so `devnet build` refuses
 * an app that calls these, naming each; they are declared so that the type check passes
 * and the build can say why.
 */

/** Upstream: invites a member after the call. Refused by `devnet build`. */
export function contextAddMember(_publicKey: Uint8Array): void {
  refused('__calimero_refused__:contextAddMember');
}

/** Upstream: removes a member after the call. Refused by `devnet build`. */
export function contextRemoveMember(_publicKey: Uint8Array): void {
  refused('__calimero_refused__:contextRemoveMember');
}

/** Upstream: creates a child context after the call. Refused by `devnet build`. */
export function contextCreate(_protocol: Uint8Array, _applicationId: Uint8Array,
                              _initArgs: Uint8Array, _alias: Uint8Array): void {
  refused('__calimero_refused__:contextCreate');
}

/** Upstream: deletes a context after the call. Refused by `devnet build`. */
export function contextDelete(_contextId: Uint8Array): void {
  refused('__calimero_refused__:contextDelete');
}

/** Upstream: the context id of a child context's alias. Refused by `devnet build`. */
export function contextResolveAlias(_alias: Uint8Array): Uint8Array | null {
  return refused('__calimero_refused__:contextResolveAlias');
}

/** Verifies an Ed25519 signature (64 bytes) by `publicKey` (32 bytes) over `message`. */
export function ed25519Verify(signature: Uint8Array, publicKey: Uint8Array, message: Key): boolean {
  return host().ed25519_verify(signature, publicKey, message);
}

/** Starts a new blob; returns its handle (a file descriptor for this call). */
export function blobCreate(): bigint {
  return host().blob_create();
}

/**
 * Opens blob `blobId` (32 bytes) for reading; a blob this node lacks is first fetched from a
 * node of the context that announced it. A blob found nowhere still gets a handle, whose
 * reads return 0 bytes (as upstream).
 */
export function blobOpen(blobId: Uint8Array): bigint {
  return host().blob_open(blobId);
}

/** Reads the next bytes of blob `fd` into `buffer`; returns how many (0n at the end). */
export function blobRead(fd: bigint, buffer: Uint8Array): bigint {
  return host().blob_read(fd, buffer);
}

/** Appends `data` (at most 10 MiB per call) to blob `fd`; returns the bytes written. */
export function blobWrite(fd: bigint, data: Uint8Array): bigint {
  return host().blob_write(fd, data);
}

/** Closes blob `fd`; returns the blob's 32-byte id (content-addressed, as upstream's). */
export function blobClose(fd: bigint): Uint8Array {
  const blobId = new Uint8Array(32);
  if (!host().blob_close(fd, blobId)) {
    throw new Error('Failed to close blob');
  }
  return blobId;
}

/**
 * Tells the context's other nodes that this node has blob `blobId`, so they can fetch it.
 * As upstream, only the current context is accepted (another one answers false).
 */
export function blobAnnounceToContext(blobId: Uint8Array, targetContextId: Uint8Array): boolean {
  if (blobId.length !== 32) {
    throw new Error('blobId must be exactly 32 bytes');
  }
  if (targetContextId.length !== 32) {
    throw new Error('targetContextId must be exactly 32 bytes');
  }
  const current = contextId();
  if (!current.every((byte, i) => byte === targetContextId[i])) {
    return false;
  }
  return host().blob_announce_to_context(blobId, targetContextId);
}

/** Bytes helpers (ids travel as hex or base58 in JSON). */
export { toHex as bytesToHex, fromHex as hexToBytes, toBase58 as bytesToBase58, utf8 as utf8Encode };
