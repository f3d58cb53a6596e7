/* Provides the host imports (HOST-ABI §3, §4, §6) and the descriptor types of guest memory.
 *
 * Every import lives in module "env"; every parameter is i64 except the two `has_*` flags,
 * status returns are i32 (HOST-ABI §2). Descriptors are passed by address. */
#ifndef CALIMERO_HOST_H
#define CALIMERO_HOST_H

#include <stddef.h>
#include <stdint.h>

#define CALIMERO_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

typedef struct { uint64_t ptr, len; } CalBuffer;                       /* 16 bytes */
typedef struct { CalBuffer file; uint32_t line, column; } CalLocation; /* 24 bytes */
typedef struct { CalBuffer kind, data; } CalEvent;                     /* 32 bytes */
typedef struct { CalBuffer context_id, function, params; } CalXCall;   /* 48 bytes */
typedef struct { uint64_t tag; CalBuffer value; } CalValueReturn;      /* 24 bytes */

#define CAL_ADDR(p) ((uint64_t)(uintptr_t)(p))

/* registers and call I/O */
CALIMERO_IMPORT(input) void env_input(uint64_t reg);
CALIMERO_IMPORT(register_len) int64_t env_register_len(uint64_t reg);
CALIMERO_IMPORT(read_register) int32_t env_read_register(uint64_t reg, uint64_t buf);
CALIMERO_IMPORT(value_return) void env_value_return(uint64_t value_return);
CALIMERO_IMPORT(log_utf8) void env_log_utf8(uint64_t buf);
CALIMERO_IMPORT(panic_utf8) __attribute__((noreturn)) void env_panic_utf8(uint64_t msg, uint64_t loc);

/* node environment */
CALIMERO_IMPORT(context_id) void env_context_id(uint64_t reg);
CALIMERO_IMPORT(executor_id) void env_executor_id(uint64_t reg);
CALIMERO_IMPORT(time_now) void env_time_now(uint64_t buf);
CALIMERO_IMPORT(random_bytes) void env_random_bytes(uint64_t buf);
CALIMERO_IMPORT(storage_read) int32_t env_storage_read(uint64_t key, uint64_t reg);
CALIMERO_IMPORT(storage_write) int32_t env_storage_write(uint64_t key, uint64_t val, uint64_t reg);
CALIMERO_IMPORT(storage_remove) int32_t env_storage_remove(uint64_t key, uint64_t reg);
CALIMERO_IMPORT(commit) void env_commit(uint64_t root, uint64_t artifact);
/* node-local storage of the context, never replicated (env.storage* and private entries) */
CALIMERO_IMPORT(private_storage_read) int32_t env_private_read(uint64_t key, uint64_t reg);
CALIMERO_IMPORT(private_storage_write) int32_t env_private_write(uint64_t key, uint64_t val);
CALIMERO_IMPORT(private_storage_remove) int32_t env_private_remove(uint64_t key, uint64_t reg);
/* the running context's members as the node stores them (upstream's context_* reads) */
CALIMERO_IMPORT(context_is_member) int32_t env_context_is_member(uint64_t public_key);
CALIMERO_IMPORT(context_members) void env_context_members(uint64_t reg);
CALIMERO_IMPORT(emit) void env_emit(uint64_t event);
CALIMERO_IMPORT(emit_with_handler) void env_emit_with_handler(uint64_t event, uint64_t handler);
CALIMERO_IMPORT(xcall) void env_xcall(uint64_t xcall);
CALIMERO_IMPORT(ed25519_verify) int32_t env_ed25519_verify(uint64_t sig, uint64_t pk, uint64_t msg);

/* blobs (upstream's blob_* imports): handles are u64 fds */
CALIMERO_IMPORT(blob_create) uint64_t env_blob_create(void);
CALIMERO_IMPORT(blob_open) uint64_t env_blob_open(uint64_t id);
CALIMERO_IMPORT(blob_read) uint64_t env_blob_read(uint64_t fd, uint64_t buf);
CALIMERO_IMPORT(blob_write) uint64_t env_blob_write(uint64_t fd, uint64_t data);
CALIMERO_IMPORT(blob_close) uint32_t env_blob_close(uint64_t fd, uint64_t id);
CALIMERO_IMPORT(blob_announce_to_context) uint32_t env_blob_announce_to_context(uint64_t id,
                                                                               uint64_t ctx);

/* root document (§6) */
CALIMERO_IMPORT(persist_root_state) void env_persist_root_state(uint64_t doc, uint64_t created_at,
                                                                uint64_t updated_at);
CALIMERO_IMPORT(read_root_state) int32_t env_read_root_state(uint64_t reg);
CALIMERO_IMPORT(flush_delta) int32_t env_flush_delta(void);
CALIMERO_IMPORT(apply_storage_delta) void env_apply_storage_delta(uint64_t buf);

/* collections (§6): status < 0 is an error whose message is in register 0 */
CALIMERO_IMPORT(js_crdt_map_new) int32_t env_map_new(uint64_t reg);
CALIMERO_IMPORT(js_crdt_map_get) int32_t env_map_get(uint64_t id, uint64_t key, uint64_t reg);
CALIMERO_IMPORT(js_crdt_map_insert) int32_t env_map_insert(uint64_t id, uint64_t key, uint64_t val,
                                                           uint64_t reg);
CALIMERO_IMPORT(js_crdt_map_remove) int32_t env_map_remove(uint64_t id, uint64_t key, uint64_t reg);
CALIMERO_IMPORT(js_crdt_map_contains) int32_t env_map_contains(uint64_t id, uint64_t key);
CALIMERO_IMPORT(js_crdt_map_iter) int32_t env_map_iter(uint64_t id, uint64_t reg);
/* devnet: the id of the collection of `kind` nested under `key` (the same on every node) */
CALIMERO_IMPORT(js_crdt_map_child) int32_t env_map_child(uint64_t id, uint64_t key, int32_t kind,
                                                         uint64_t reg);
CALIMERO_IMPORT(js_crdt_vector_new) int32_t env_vector_new(uint64_t reg);
CALIMERO_IMPORT(js_crdt_vector_len) int32_t env_vector_len(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_vector_push) int32_t env_vector_push(uint64_t id, uint64_t val);
CALIMERO_IMPORT(js_crdt_vector_get) int32_t env_vector_get(uint64_t id, uint64_t index, uint64_t reg);
CALIMERO_IMPORT(js_crdt_vector_pop) int32_t env_vector_pop(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_set_new) int32_t env_set_new(uint64_t reg);
CALIMERO_IMPORT(js_crdt_set_insert) int32_t env_set_insert(uint64_t id, uint64_t val);
CALIMERO_IMPORT(js_crdt_set_contains) int32_t env_set_contains(uint64_t id, uint64_t val);
CALIMERO_IMPORT(js_crdt_set_remove) int32_t env_set_remove(uint64_t id, uint64_t val);
CALIMERO_IMPORT(js_crdt_set_len) int32_t env_set_len(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_set_iter) int32_t env_set_iter(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_set_clear) int32_t env_set_clear(uint64_t id);
CALIMERO_IMPORT(js_crdt_lww_new) int32_t env_lww_new(uint64_t reg);
CALIMERO_IMPORT(js_crdt_lww_set) int32_t env_lww_set(uint64_t id, uint64_t val, int32_t has_value);
CALIMERO_IMPORT(js_crdt_lww_get) int32_t env_lww_get(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_lww_timestamp) int32_t env_lww_timestamp(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_counter_new) int32_t env_counter_new(uint64_t reg);
CALIMERO_IMPORT(js_crdt_counter_increment) int32_t env_counter_increment(uint64_t id);
CALIMERO_IMPORT(js_crdt_counter_value) int32_t env_counter_value(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_crdt_counter_get_executor_count)
int32_t env_counter_get_executor_count(uint64_t id, uint64_t exec, int32_t has_exec, uint64_t reg);
CALIMERO_IMPORT(js_user_storage_new) int32_t env_user_new(uint64_t reg);
CALIMERO_IMPORT(js_user_storage_insert) int32_t env_user_insert(uint64_t id, uint64_t val, uint64_t reg);
CALIMERO_IMPORT(js_user_storage_get) int32_t env_user_get(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_user_storage_get_for_user)
int32_t env_user_get_for_user(uint64_t id, uint64_t user, uint64_t reg);
CALIMERO_IMPORT(js_user_storage_remove) int32_t env_user_remove(uint64_t id, uint64_t reg);
CALIMERO_IMPORT(js_user_storage_contains) int32_t env_user_contains(uint64_t id);
CALIMERO_IMPORT(js_user_storage_contains_user) int32_t env_user_contains_user(uint64_t id, uint64_t user);
CALIMERO_IMPORT(js_frozen_storage_new) int32_t env_frozen_new(uint64_t reg);
CALIMERO_IMPORT(js_frozen_storage_add) int32_t env_frozen_add(uint64_t id, uint64_t val, uint64_t reg);
CALIMERO_IMPORT(js_frozen_storage_get) int32_t env_frozen_get(uint64_t id, uint64_t hash, uint64_t reg);
CALIMERO_IMPORT(js_frozen_storage_contains) int32_t env_frozen_contains(uint64_t id, uint64_t hash);

/* Register ids the glue uses: errors arrive in 0 (HOST-ABI §6), data in 1. */
#define CAL_REG_ERROR 0
#define CAL_REG_DATA 1

/* glue.c */
void cal_log(const char *msg, size_t len);
__attribute__((noreturn)) void cal_panic(const char *msg, size_t len, const char *file,
                                         uint32_t line, uint32_t column);
uint64_t cal_time_now_ns(void);

#endif
