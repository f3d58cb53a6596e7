/* Provides the blob functions of `__host`: handles (fds) are BigInts, as in the upstream
 * SDK; reads and closes fill a caller's Uint8Array in place (the host writes into it). */
#include "cal_js.h"

#define ARG(i) ((i) < argc ? argv[i] : JS_UNDEFINED)

static int to_fd(JSContext *ctx, JSValueConst v, uint64_t *out) {
    if (JS_IsBigInt(v)) return JS_ToBigUint64(ctx, out, v);
    return JS_ToIndex(ctx, out, v);
}

/* A writable view of a Uint8Array argument (strings are read-only: refused). */
static int out_bytes(JSContext *ctx, JSValueConst v, CalBuffer *out, const char *fn) {
    Bytes b;
    if (JS_IsString(v) || cal_get_bytes(ctx, v, &b, fn, 1)) {
        if (JS_IsString(v)) JS_ThrowTypeError(ctx, "__host.%s: the buffer must be a Uint8Array", fn);
        return -1;
    }
    *out = (CalBuffer){CAL_ADDR(b.ptr), b.len};
    return 0;
}

static JSValue h_blob_create(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return JS_NewBigUint64(ctx, env_blob_create());
}

static JSValue h_blob_open(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes id;
    if (cal_get_bytes(ctx, ARG(0), &id, "blob_open", 0)) return JS_EXCEPTION;
    CalBuffer b = {CAL_ADDR(id.ptr), id.len};
    uint64_t fd = env_blob_open(CAL_ADDR(&b));
    cal_free_bytes(ctx, &id, 1);
    return JS_NewBigUint64(ctx, fd);
}

static JSValue h_blob_write(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    uint64_t fd;
    Bytes data;
    if (to_fd(ctx, ARG(0), &fd) || cal_get_bytes(ctx, ARG(1), &data, "blob_write", 1))
        return JS_EXCEPTION;
    CalBuffer b = {CAL_ADDR(data.ptr), data.len};
    uint64_t n = env_blob_write(fd, CAL_ADDR(&b));
    cal_free_bytes(ctx, &data, 1);
    return JS_NewBigUint64(ctx, n);
}

static JSValue h_blob_read(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    uint64_t fd;
    CalBuffer b;
    if (to_fd(ctx, ARG(0), &fd) || out_bytes(ctx, ARG(1), &b, "blob_read")) return JS_EXCEPTION;
    return JS_NewBigUint64(ctx, env_blob_read(fd, CAL_ADDR(&b)));
}

static JSValue h_blob_close(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    uint64_t fd;
    CalBuffer b;
    if (to_fd(ctx, ARG(0), &fd) || out_bytes(ctx, ARG(1), &b, "blob_close")) return JS_EXCEPTION;
    return JS_NewBool(ctx, env_blob_close(fd, CAL_ADDR(&b)) == 1);
}

static JSValue h_blob_announce(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    Bytes in[2];
    if (cal_get_bytes(ctx, ARG(0), &in[0], "blob_announce_to_context", 0)) return JS_EXCEPTION;
    if (cal_get_bytes(ctx, ARG(1), &in[1], "blob_announce_to_context", 1)) {
        cal_free_bytes(ctx, in, 1);
        return JS_EXCEPTION;
    }
    CalBuffer id = {CAL_ADDR(in[0].ptr), in[0].len}, cx = {CAL_ADDR(in[1].ptr), in[1].len};
    uint32_t ok = env_blob_announce_to_context(CAL_ADDR(&id), CAL_ADDR(&cx));
    cal_free_bytes(ctx, in, 2);
    return JS_NewBool(ctx, ok == 1);
}

const JSCFunctionListEntry cal_host_blob[] = {
    JS_CFUNC_DEF("blob_create", 0, h_blob_create),
    JS_CFUNC_DEF("blob_open", 1, h_blob_open),
    JS_CFUNC_DEF("blob_write", 2, h_blob_write),
    JS_CFUNC_DEF("blob_read", 2, h_blob_read),
    JS_CFUNC_DEF("blob_close", 2, h_blob_close),
    JS_CFUNC_DEF("blob_announce_to_context", 2, h_blob_announce),
};
const int cal_host_blob_len = sizeof cal_host_blob / sizeof cal_host_blob[0];
