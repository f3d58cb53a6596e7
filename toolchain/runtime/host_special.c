/* Provides the `__host` functions whose imports take descriptors (events, xcall, value
 * return, panic location) or return fixed-size values; the regular ones are in host.c. */
#include <string.h>

#include "cal_js.h"

#define ARG(i) ((i) < argc ? argv[i] : JS_UNDEFINED)

static JSValue h_input(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    env_input(CAL_REG_DATA);
    JSValue r = cal_reg_bytes(ctx, CAL_REG_DATA);
    return JS_IsNull(r) ? JS_NewUint8ArrayCopy(ctx, (const uint8_t *)"", 0) : r;
}

/* value_return(value, isErr = false) */
static JSValue h_value_return(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes b;
    if (cal_get_bytes(ctx, ARG(0), &b, "value_return", 0)) return JS_EXCEPTION;
    CalValueReturn vr = {(uint64_t)JS_ToBool(ctx, ARG(1)), {CAL_ADDR(b.ptr), b.len}};
    env_value_return(CAL_ADDR(&vr));
    cal_free_bytes(ctx, &b, 1);
    return JS_UNDEFINED;
}

static JSValue h_log_utf8(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes b;
    if (cal_get_bytes(ctx, ARG(0), &b, "log_utf8", 0)) return JS_EXCEPTION;
    cal_log((const char *)b.ptr, b.len);
    cal_free_bytes(ctx, &b, 1);
    return JS_UNDEFINED;
}

/* panic_utf8(message, skipFrames = 0): traps; the location is the caller's JS frame, or
 * the frame `skipFrames` further out (an SDK helper skips its own frames). */
static JSValue h_panic_utf8(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes b;
    int32_t skip = 0;
    if (cal_get_bytes(ctx, ARG(0), &b, "panic_utf8", 0)) return JS_EXCEPTION;
    if (argc > 1 && JS_ToInt32(ctx, &skip, argv[1])) return JS_EXCEPTION;
    JS_ThrowPlainError(ctx, "panic");
    JSValue err = JS_GetException(ctx);
    cal_panic_value(ctx, err, (const char *)b.ptr, b.len, skip < 0 ? 0 : skip);
}

static JSValue h_id(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
    if (magic) env_executor_id(CAL_REG_DATA);
    else env_context_id(CAL_REG_DATA);
    return cal_reg_bytes(ctx, CAL_REG_DATA);
}

static JSValue h_time_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return JS_NewBigUint64(ctx, cal_time_now_ns());
}

static JSValue h_random_bytes(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    uint64_t n;
    if (JS_ToIndex(ctx, &n, ARG(0))) return JS_EXCEPTION;
    uint8_t *buf = js_malloc(ctx, n ? n : 1);
    if (!buf) return JS_EXCEPTION;
    CalBuffer b = {CAL_ADDR(buf), n};
    env_random_bytes(CAL_ADDR(&b));
    JSValue r = JS_NewUint8ArrayCopy(ctx, buf, n);
    js_free(ctx, buf);
    return r;
}

/* emit(kind, data) / emit_with_handler(kind, data, handler | null) */
static JSValue h_emit(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
    const char *name = magic ? "emit_with_handler" : "emit";
    Bytes b[3] = {0};
    int n = 0, has_handler = magic && !JS_IsNull(ARG(2)) && !JS_IsUndefined(ARG(2));
    for (; n < 2 + has_handler; n++)
        if (cal_get_bytes(ctx, ARG(n), &b[n], name, n)) goto fail;
    CalEvent ev = {{CAL_ADDR(b[0].ptr), b[0].len}, {CAL_ADDR(b[1].ptr), b[1].len}};
    CalBuffer handler = {CAL_ADDR(b[2].ptr), b[2].len};
    if (!magic) env_emit(CAL_ADDR(&ev));
    else env_emit_with_handler(CAL_ADDR(&ev), has_handler ? CAL_ADDR(&handler) : 0);
    cal_free_bytes(ctx, b, n);
    return JS_UNDEFINED;
fail:
    cal_free_bytes(ctx, b, n);
    return JS_EXCEPTION;
}

/* xcall(contextId: 32 bytes, functionName, params) */
static JSValue h_xcall(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes b[3] = {0};
    int n = 0;
    for (; n < 3; n++)
        if (cal_get_bytes(ctx, ARG(n), &b[n], "xcall", n)) goto fail;
    if (b[0].len != 32) {
        JS_ThrowRangeError(ctx, "__host.xcall: the context id must be 32 bytes, got %zu", b[0].len);
        goto fail;
    }
    CalXCall x = {{CAL_ADDR(b[0].ptr), 32}, {CAL_ADDR(b[1].ptr), b[1].len}, {CAL_ADDR(b[2].ptr), b[2].len}};
    env_xcall(CAL_ADDR(&x));
    cal_free_bytes(ctx, b, n);
    return JS_UNDEFINED;
fail:
    cal_free_bytes(ctx, b, n);
    return JS_EXCEPTION;
}

/* utf8_decode(bytes) -> string; utf8_encode(string) -> Uint8Array (QuickJS has no TextEncoder). */
static JSValue h_utf8_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes b;
    if (cal_get_bytes(ctx, ARG(0), &b, "utf8_decode", 0)) return JS_EXCEPTION;
    JSValue s = JS_NewStringLen(ctx, (const char *)b.ptr, b.len);
    cal_free_bytes(ctx, &b, 1);
    return s;
}

static JSValue h_utf8_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, ARG(0));
    if (!s) return JS_EXCEPTION;
    JSValue r = JS_NewUint8ArrayCopy(ctx, (const uint8_t *)s, len);
    JS_FreeCString(ctx, s);
    return r;
}

/* hex_encode(bytes) -> lower-case hex; hex_decode(text) -> Uint8Array, or null if `text` is
 * not hex (either case, even length); base58_encode(bytes) -> base58 (Bitcoin alphabet).
 * The SDK turns every collection id into bytes and back: in JS these loops cost ~0.2 M fuel
 * per id, here a few thousand. */
static JSValue h_hex_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    static const char digits[] = "0123456789abcdef";
    Bytes b;
    if (cal_get_bytes(ctx, ARG(0), &b, "hex_encode", 0)) return JS_EXCEPTION;
    char *out = js_malloc(ctx, 2 * b.len + 1);
    JSValue r = JS_EXCEPTION;
    if (out) {
        for (size_t i = 0; i < b.len; i++) {
            out[2 * i] = digits[b.ptr[i] >> 4];
            out[2 * i + 1] = digits[b.ptr[i] & 15];
        }
        r = JS_NewStringLen(ctx, out, 2 * b.len);
        js_free(ctx, out);
    }
    cal_free_bytes(ctx, &b, 1);
    return r;
}

static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 32;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static JSValue h_hex_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, ARG(0));
    if (!s) return JS_EXCEPTION;
    uint8_t *out = js_malloc(ctx, len / 2 + 1);
    JSValue r = out ? JS_NULL : JS_EXCEPTION;
    int bad = (int)(len & 1);
    for (size_t i = 0; out && !bad && i < len / 2; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        bad = (hi | lo) < 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (out && !bad) r = JS_NewUint8ArrayCopy(ctx, out, len / 2);
    js_free(ctx, out);
    JS_FreeCString(ctx, s);
    return r;
}

static JSValue h_base58_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    Bytes b;
    if (cal_get_bytes(ctx, ARG(0), &b, "base58_encode", 0)) return JS_EXCEPTION;
    size_t zeros = 0, cap = b.len * 138 / 100 + 1, used = 0;
    while (zeros < b.len && b.ptr[zeros] == 0) zeros++;
    uint8_t *digits = js_mallocz(ctx, cap); /* base-58 digits, least significant first */
    char *out = digits ? js_malloc(ctx, zeros + cap) : NULL;
    JSValue r = JS_EXCEPTION;
    if (out) {
        for (size_t i = zeros; i < b.len; i++) {
            uint32_t carry = b.ptr[i];
            for (size_t j = 0; j < used || carry; j++) {
                carry += (uint32_t)digits[j] * 256;
                digits[j] = (uint8_t)(carry % 58);
                carry /= 58;
                if (j + 1 > used) used = j + 1;
            }
        }
        memset(out, '1', zeros);
        for (size_t j = 0; j < used; j++) out[zeros + j] = alphabet[digits[used - 1 - j]];
        r = JS_NewStringLen(ctx, out, zeros + used);
    }
    js_free(ctx, out);
    js_free(ctx, digits);
    cal_free_bytes(ctx, &b, 1);
    return r;
}

const JSCFunctionListEntry cal_host_special[] = {
    JS_CFUNC_DEF("utf8_decode", 1, h_utf8_decode),
    JS_CFUNC_DEF("utf8_encode", 1, h_utf8_encode),
    JS_CFUNC_DEF("hex_encode", 1, h_hex_encode),
    JS_CFUNC_DEF("hex_decode", 1, h_hex_decode),
    JS_CFUNC_DEF("base58_encode", 1, h_base58_encode),
    JS_CFUNC_DEF("input", 0, h_input),
    JS_CFUNC_DEF("value_return", 2, h_value_return),
    JS_CFUNC_DEF("log_utf8", 1, h_log_utf8),
    JS_CFUNC_DEF("panic_utf8", 2, h_panic_utf8),
    JS_CFUNC_MAGIC_DEF("context_id", 0, h_id, 0),
    JS_CFUNC_MAGIC_DEF("executor_id", 0, h_id, 1),
    JS_CFUNC_DEF("time_now", 0, h_time_now),
    JS_CFUNC_DEF("random_bytes", 1, h_random_bytes),
    JS_CFUNC_MAGIC_DEF("emit", 2, h_emit, 0),
    JS_CFUNC_MAGIC_DEF("emit_with_handler", 3, h_emit, 1),
    JS_CFUNC_DEF("xcall", 3, h_xcall),
};
const int cal_host_special_len = sizeof cal_host_special / sizeof cal_host_special[0];
