/**
 * Integer type names for method signatures. A parameter typed `u64` (or `i64`, `u128`,
 * `i128`, `bigint`) accepts a JSON number or a decimal string and receives a bigint; a
 * returned bigint is sent as a decimal string.
 */
export type u64 = bigint;
export type i64 = bigint;
export type u128 = bigint;
export type i128 = bigint;
export type u32 = number;
export type i32 = number;
export type u8 = number;
