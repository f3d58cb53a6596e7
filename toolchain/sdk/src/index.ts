/**
 * `@calimero/sdk` (also importable as `@calimero-network/calimero-sdk-js`): decorators,
 * events and, for convenience, the collections.
 *
 * ```ts
 * import { State, Logic, Init, View, Event, emit } from '@calimero/sdk';
 * import { UnorderedMap } from '@calimero/sdk/collections';
 * ```
 */
/// <reference path="./globals.d.ts" />
import './internal/stack';
import './internal/text';
import './internal/dispatch';

export { State, Logic, Init, View, Event } from './internal/registry';
export type { MethodKind } from './internal/registry';
export { emit, emitWithHandler } from './internal/events';
export { Mergeable } from './internal/mergeable';
export type { MergeableOptions } from './internal/mergeable';
export * from './collections/index';
export { createPrivateEntry, PrivateEntryHandle } from './private';
export type { PrivateKey } from './private';
export type { u64, i64, u128, i128, u32, i32, u8 } from './types';
export * as env from './env';
