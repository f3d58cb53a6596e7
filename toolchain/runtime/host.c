/* Provides `globalThis.__host`: the host imports as JS functions over bytes.
 *
 * Bytes in: Uint8Array, ArrayBuffer or string (sent as UTF-8). Bytes out: Uint8Array.
 * Registers and descriptors never reach JS. A status < 0 throws an Error carrying the
 * host's message (register 0). The table at the bottom is the whole API; the README of
 * toolchain/runtime (and the build report) lists each function's JS signature. */
#include <stdlib.h>
#include <string.h>

#include "cal_js.h"

enum { R_NONE, R_BOOL, R_BYTES, R_OPT_BYTES, R_LEN, R_BIG, R_PAIRS, R_ITEMS };

/* JS args: 'b' bytes, 'o' bytes or null (adds the i32 has-flag), 'u' u64, 'k' i32;
 * 'r' = data register. */
typedef struct { const char *name; void *fn; const char *args; uint8_t result, is_void; } HostSpec;

int cal_get_bytes(JSContext *ctx, JSValueConst v, Bytes *out, const char *fn, int i) {
    size_t off, bpe;
    out->cstr = NULL;
    if (JS_IsString(v)) {
        out->cstr = JS_ToCStringLen(ctx, &out->len, v);
        out->ptr = (const uint8_t *)out->cstr;
        return out->cstr ? 0 : -1;
    }
    int t = JS_GetTypedArrayType(v);
    if (t == JS_TYPED_ARRAY_UINT8 || t == JS_TYPED_ARRAY_UINT8C) {
        JSValue ab = JS_GetTypedArrayBuffer(ctx, v, &off, &out->len, &bpe);
        size_t total;
        uint8_t *p = JS_GetArrayBuffer(ctx, &total, ab);
        JS_FreeValue(ctx, ab);
        out->ptr = p ? p + off : NULL;
        return 0;
    }
    if (JS_IsArrayBuffer(v)) {
        out->ptr = JS_GetArrayBuffer(ctx, &out->len, v);
        return 0;
    }
    JS_ThrowTypeError(ctx, "__host.%s: argument %d must be a Uint8Array, ArrayBuffer or string", fn, i + 1);
    return -1;
}

void cal_free_bytes(JSContext *ctx, Bytes *b, int n) {
    for (int i = 0; i < n; i++)
        if (b[i].cstr) JS_FreeCString(ctx, b[i].cstr);
}

/* Reads a register into a fresh Uint8Array; null if the register was never set. */
JSValue cal_reg_bytes(JSContext *ctx, uint64_t reg) {
    int64_t n = env_register_len(reg);
    if (n < 0) return JS_NULL;
    uint8_t *buf = js_malloc(ctx, n ? (size_t)n : 1);
    if (!buf) return JS_EXCEPTION;
    CalBuffer b = {CAL_ADDR(buf), (uint64_t)n};
    env_read_register(reg, CAL_ADDR(&b));
    JSValue r = JS_NewUint8ArrayCopy(ctx, buf, (size_t)n);
    js_free(ctx, buf);
    return r;
}

static JSValue reg_u64(JSContext *ctx, int big) {
    uint64_t v = 0;
    if (env_register_len(CAL_REG_DATA) == 8) {
        CalBuffer b = {CAL_ADDR(&v), 8};
        env_read_register(CAL_REG_DATA, CAL_ADDR(&b));
    }
    return big ? JS_NewBigUint64(ctx, v) : JS_NewFloat64(ctx, (double)v);
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* Decodes `u32 count, (u32 len, bytes)*` into an array of items or of [key, value] pairs. */
static JSValue reg_iter(JSContext *ctx, int pairs) {
    JSValue raw = cal_reg_bytes(ctx, CAL_REG_DATA), out = JS_NewArray(ctx);
    size_t n = 0, at = 4;
    uint8_t *p = JS_IsNull(raw) ? NULL : JS_GetUint8Array(ctx, &n, raw);
    uint32_t count = p && n >= 4 ? rd32(p) : 0;
    for (uint32_t i = 0; i < count; i++) {
        JSValue item[2];
        for (int k = 0; k <= pairs; k++) {
            uint32_t len = at + 4 <= n ? rd32(p + at) : UINT32_MAX;
            if (len > n - at - 4) {
                JS_FreeValue(ctx, raw);
                JS_FreeValue(ctx, out);
                return JS_ThrowRangeError(ctx, "__host: malformed iteration payload from the host");
            }
            item[k] = JS_NewUint8ArrayCopy(ctx, p + at + 4, len);
            at += 4 + len;
        }
        JS_SetPropertyUint32(ctx, out, i, pairs ? JS_NewArrayFrom(ctx, 2, item) : item[0]);
    }
    JS_FreeValue(ctx, raw);
    return out;
}

static int to_u64(JSContext *ctx, JSValueConst v, uint64_t *out) {
    if (JS_IsBigInt(v)) return JS_ToBigUint64(ctx, out, v);
    return JS_ToIndex(ctx, out, v);
}

/* Calls an import with the wasm signature `sig` (I = i64, i = i32). */
static int32_t call_import(const HostSpec *s, const char *sig, const uint64_t *a) {
    void *f = s->fn;
#define SIG(x) (strcmp(sig, x) == 0)
    if (s->is_void) {
        if (SIG("I")) ((void (*)(uint64_t))f)(a[0]);
        else if (SIG("II")) ((void (*)(uint64_t, uint64_t))f)(a[0], a[1]);
        else ((void (*)(uint64_t, uint64_t, uint64_t))f)(a[0], a[1], a[2]);
        return 0;
    }
    if (SIG("")) return ((int32_t (*)(void))f)();
    if (SIG("I")) return ((int32_t (*)(uint64_t))f)(a[0]);
    if (SIG("II")) return ((int32_t (*)(uint64_t, uint64_t))f)(a[0], a[1]);
    if (SIG("III")) return ((int32_t (*)(uint64_t, uint64_t, uint64_t))f)(a[0], a[1], a[2]);
    if (SIG("IIII")) return ((int32_t (*)(uint64_t, uint64_t, uint64_t, uint64_t))f)(a[0], a[1], a[2], a[3]);
    if (SIG("IIi")) return ((int32_t (*)(uint64_t, uint64_t, int32_t))f)(a[0], a[1], (int32_t)a[2]);
    return ((int32_t (*)(uint64_t, uint64_t, int32_t, uint64_t))f)(a[0], a[1], (int32_t)a[2], a[3]);
#undef SIG
}

static JSValue status_error(JSContext *ctx, const char *name, int32_t status) {
    JSValue msg = cal_reg_bytes(ctx, CAL_REG_ERROR);
    size_t n = 0;
    uint8_t *p = JS_IsNull(msg) ? NULL : JS_GetUint8Array(ctx, &n, msg);
    JSValue err = JS_ThrowPlainError(ctx, "__host.%s failed (status %d): %.*s", name, (int)status,
                                     (int)n, p ? (const char *)p : "");
    JS_FreeValue(ctx, msg);
    return err;
}

static JSValue shape_result(JSContext *ctx, const HostSpec *s, int32_t st) {
    switch (s->result) {
    case R_BOOL: return JS_NewBool(ctx, st > 0);
    case R_BYTES: return cal_reg_bytes(ctx, CAL_REG_DATA);
    case R_OPT_BYTES: return st > 0 ? cal_reg_bytes(ctx, CAL_REG_DATA) : JS_NULL;
    case R_LEN: return reg_u64(ctx, 0);
    case R_BIG: return reg_u64(ctx, 1);
    case R_PAIRS: return reg_iter(ctx, 1);
    case R_ITEMS: return reg_iter(ctx, 0);
    default: return JS_UNDEFINED;
    }
}

static const HostSpec SPECS[];

/* context_members returns nothing: give it the status shape the table calls through. */
static int32_t context_members_status(uint64_t reg) {
    env_context_members(reg);
    return 1;
}

static JSValue host_generic(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
    const HostSpec *s = &SPECS[magic];
    Bytes bytes[4];
    CalBuffer bufs[4];
    uint64_t a[5];
    char sig[6];
    int nb = 0, na = 0, js = 0;
    for (const char *c = s->args; *c; c++) {
        JSValueConst v = *c == 'r' ? JS_UNDEFINED : js < argc ? argv[js] : JS_UNDEFINED;
        if (*c == 'r') {
            a[na] = CAL_REG_DATA, sig[na++] = 'I';
            continue;
        }
        js++;
        if (*c == 'k') {
            int32_t k;
            if (JS_ToInt32(ctx, &k, v)) goto fail;
            a[na] = (uint64_t)(uint32_t)k, sig[na++] = 'i';
            continue;
        }
        if (*c == 'u') {
            if (to_u64(ctx, v, &a[na])) goto fail;
            sig[na++] = 'I';
            continue;
        }
        int present = !(*c == 'o' && JS_IsNull(v));
        bytes[nb] = (Bytes){(const uint8_t *)"", 0, NULL};
        if (present && cal_get_bytes(ctx, v, &bytes[nb], s->name, js - 1)) goto fail;
        bufs[nb] = (CalBuffer){CAL_ADDR(bytes[nb].ptr), bytes[nb].len};
        a[na] = CAL_ADDR(&bufs[nb++]), sig[na++] = 'I';
        if (*c == 'o') a[na] = (uint64_t)present, sig[na++] = 'i';
    }
    sig[na] = 0;
    int32_t st = call_import(s, sig, a);
    cal_free_bytes(ctx, bytes, nb);
    return st < 0 ? status_error(ctx, s->name, st) : shape_result(ctx, s, st);
fail:
    cal_free_bytes(ctx, bytes, nb);
    return JS_EXCEPTION;
}

extern const JSCFunctionListEntry cal_host_special[];
extern const int cal_host_special_len;
extern const JSCFunctionListEntry cal_host_blob[];
extern const int cal_host_blob_len;

#define G(js, fn, args, res) {#js, (void *)fn, args, res, 0}
#define V(js, fn, args) {#js, (void *)fn, args, R_NONE, 1}
static const HostSpec SPECS[] = {
    G(storage_read, env_storage_read, "br", R_OPT_BYTES),
    G(storage_write, env_storage_write, "bbr", R_OPT_BYTES),
    G(storage_remove, env_storage_remove, "br", R_OPT_BYTES),
    V(commit, env_commit, "bb"),
    G(private_storage_read, env_private_read, "br", R_OPT_BYTES),
    G(private_storage_write, env_private_write, "bb", R_BOOL),
    G(private_storage_remove, env_private_remove, "br", R_OPT_BYTES),
    G(context_is_member, env_context_is_member, "b", R_BOOL),
    G(context_members, context_members_status, "r", R_BYTES),
    G(ed25519_verify, env_ed25519_verify, "bbb", R_BOOL),
    V(persist_root_state, env_persist_root_state, "buu"),
    G(read_root_state, env_read_root_state, "r", R_OPT_BYTES),
    G(flush_delta, env_flush_delta, "", R_BOOL),
    V(apply_storage_delta, env_apply_storage_delta, "b"),
    G(js_crdt_map_new, env_map_new, "r", R_BYTES),
    G(js_crdt_map_get, env_map_get, "bbr", R_OPT_BYTES),
    G(js_crdt_map_insert, env_map_insert, "bbbr", R_OPT_BYTES),
    G(js_crdt_map_remove, env_map_remove, "bbr", R_OPT_BYTES),
    G(js_crdt_map_contains, env_map_contains, "bb", R_BOOL),
    G(js_crdt_map_iter, env_map_iter, "br", R_PAIRS),
    G(js_crdt_map_child, env_map_child, "bbkr", R_BYTES),
    G(js_crdt_vector_new, env_vector_new, "r", R_BYTES),
    G(js_crdt_vector_len, env_vector_len, "br", R_LEN),
    G(js_crdt_vector_push, env_vector_push, "bb", R_NONE),
    G(js_crdt_vector_get, env_vector_get, "bur", R_OPT_BYTES),
    G(js_crdt_vector_pop, env_vector_pop, "br", R_OPT_BYTES),
    G(js_crdt_set_new, env_set_new, "r", R_BYTES),
    G(js_crdt_set_insert, env_set_insert, "bb", R_BOOL),
    G(js_crdt_set_contains, env_set_contains, "bb", R_BOOL),
    G(js_crdt_set_remove, env_set_remove, "bb", R_BOOL),
    G(js_crdt_set_len, env_set_len, "br", R_LEN),
    G(js_crdt_set_iter, env_set_iter, "br", R_ITEMS),
    G(js_crdt_set_clear, env_set_clear, "b", R_NONE),
    G(js_crdt_lww_new, env_lww_new, "r", R_BYTES),
    G(js_crdt_lww_set, env_lww_set, "bo", R_NONE),
    G(js_crdt_lww_get, env_lww_get, "br", R_OPT_BYTES),
    G(js_crdt_lww_timestamp, env_lww_timestamp, "br", R_OPT_BYTES),
    G(js_crdt_counter_new, env_counter_new, "r", R_BYTES),
    G(js_crdt_counter_increment, env_counter_increment, "b", R_NONE),
    G(js_crdt_counter_value, env_counter_value, "br", R_BIG),
    G(js_crdt_counter_get_executor_count, env_counter_get_executor_count, "bor", R_BIG),
    G(js_user_storage_new, env_user_new, "r", R_BYTES),
    G(js_user_storage_insert, env_user_insert, "bbr", R_OPT_BYTES),
    G(js_user_storage_get, env_user_get, "br", R_OPT_BYTES),
    G(js_user_storage_get_for_user, env_user_get_for_user, "bbr", R_OPT_BYTES),
    G(js_user_storage_remove, env_user_remove, "br", R_OPT_BYTES),
    G(js_user_storage_contains, env_user_contains, "b", R_BOOL),
    G(js_user_storage_contains_user, env_user_contains_user, "bb", R_BOOL),
    G(js_frozen_storage_new, env_frozen_new, "r", R_BYTES),
    G(js_frozen_storage_add, env_frozen_add, "bbr", R_BYTES),
    G(js_frozen_storage_get, env_frozen_get, "bbr", R_OPT_BYTES),
    G(js_frozen_storage_contains, env_frozen_contains, "bb", R_BOOL),
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

/* SPECS as a function list: QuickJS then creates each function on its first use (autoinit),
 * so a call pays only for the few it touches, not for all sixty. Filled once per instance. */
static JSCFunctionListEntry g_generic[N_SPECS];

void cal_install_host(JSContext *ctx) {
    if (!g_generic[0].name) {
        for (size_t i = 0; i < N_SPECS; i++) {
            int nargs = 0;
            for (const char *c = SPECS[i].args; *c; c++) nargs += *c != 'r';
            g_generic[i] = (JSCFunctionListEntry)JS_CFUNC_MAGIC_DEF(SPECS[i].name, nargs,
                                                                    host_generic, (int)i);
        }
    }
    JSValue host = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, host, g_generic, N_SPECS);
    JS_SetPropertyFunctionList(ctx, host, cal_host_special, cal_host_special_len);
    JS_SetPropertyFunctionList(ctx, host, cal_host_blob, cal_host_blob_len);
    JSValue global = JS_GetGlobalObject(ctx);
    JS_DefinePropertyValueStr(ctx, global, "__host", host, 0);
    JS_FreeValue(ctx, global);
}
