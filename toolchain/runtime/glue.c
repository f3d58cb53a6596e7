/* Provides the per-call life of a QuickJS app: a fresh VM, the app's bytecode, the SDK's
 * dispatcher, and every uncaught exception turned into `panic_utf8` with a JS location.
 *
 * The generated file of each build defines `calimero_bytecode[_len]`, the manifest
 * `calimero_abi_json[_len]` (given to JS as `__calimero_abi_json`) and one export per
 * method that calls `calimero_run("<method>")`. Nothing is freed at the end of a call: the
 * node discards the instance (HOST-ABI §1), so tearing the VM down would only burn fuel. */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cal_js.h"

extern uint8_t calimero_bytecode[];
extern const size_t calimero_bytecode_len;
extern char calimero_abi_json[];
extern const size_t calimero_abi_json_len;
extern void __wasm_call_ctors(void);
void cal_install_host(JSContext *ctx);
/* Defined by the generated file: the RegExp intrinsic, for apps that use regular expressions
 * (it alone links libregexp and most Unicode tables). */
int calimero_add_app_intrinsics(JSContext *ctx);

/* QuickJS checks its recursion on the shadow stack (1 MiB, a link flag), but wasmtime's
 * native stack limit (max_wasm_stack, 512 KiB by default) is reached first: one JS call
 * costs ~340 bytes here and ~680 bytes there. 192 KiB (~570 plain JS frames) turns runaway
 * recursion into a catchable RangeError with a location instead of a bare trap. */
#define CAL_JS_STACK (192 * 1024)

static int g_ctors_done;
static int g_clock_ready; /* the engine reads the clock while it boots: no host call then */
static int g_snapshotting; /* inside calimero_snapshot_init: no host call may happen */
/* The VM that `devnet build --snapshot` (wizer) initialized at build time, or NULL. */
static JSContext *g_snap_ctx;
static uint8_t g_rand_pool[64];
static size_t g_rand_left;

void cal_log(const char *msg, size_t len) {
    CalBuffer b = {CAL_ADDR(msg), len};
    env_log_utf8(CAL_ADDR(&b));
}

void cal_panic(const char *msg, size_t len, const char *file, uint32_t line, uint32_t column) {
    CalBuffer m = {CAL_ADDR(msg), len};
    CalLocation loc = {{CAL_ADDR(file), strlen(file)}, line, column};
    env_panic_utf8(CAL_ADDR(&m), CAL_ADDR(&loc));
}

static __attribute__((noreturn)) void cal_panic_str(const char *msg) {
    cal_panic(msg, strlen(msg), "<calimero-glue>", 0, 0);
}

uint64_t cal_time_now_ns(void) {
    uint64_t ns = 0;
    CalBuffer b = {CAL_ADDR(&ns), sizeof ns};
    env_time_now(CAL_ADDR(&b));
    return ns;
}

/* libc's clocks would import WASI clock_time_get; route them to the host clock instead. */
int clock_gettime(clockid_t clk, struct timespec *ts) {
    (void)clk;
    uint64_t ns = g_clock_ready ? cal_time_now_ns() : 0;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    (void)tz;
    uint64_t ns = g_clock_ready ? cal_time_now_ns() : 0;
    tv->tv_sec = (time_t)(ns / 1000000000u);
    tv->tv_usec = (suseconds_t)(ns / 1000u % 1000000u);
    return 0;
}

void __assert_fail(const char *expr, const char *file, int line, const char *func) {
    (void)func;
    cal_panic(expr, strlen(expr), file, (uint32_t)line, 0);
}

/* Splits the `skip`-th located frame of a QuickJS stack ("    at f (file:line:col)"). */
int cal_stack_location(const char *stack, int skip, CalLocation *loc) {
    for (const char *p = stack; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p, *e = p + n;
        p = end ? end + 1 : NULL;
        while (s < e && *s == ' ') s++;
        if (e - s < 4 || strncmp(s, "at ", 3) != 0) continue;
        s += 3;
        if (e[-1] == ')') {
            const char *open = e - 1;
            while (open > s && *open != '(') open--;
            if (*open != '(') continue;
            s = open + 1, e = e - 1;
        }
        uint32_t num[2] = {0, 0};
        const char *q = e;
        for (int k = 1; k >= 0; k--) {
            uint32_t v = 0, scale = 1;
            const char *d = q;
            while (d > s && d[-1] >= '0' && d[-1] <= '9') v += (uint32_t)(d[-1] - '0') * scale, scale *= 10, d--;
            if (d == q || d <= s || d[-1] != ':') { q = NULL; break; }
            num[k] = v, q = d - 1;
        }
        if (!q || q == s || skip-- > 0) continue;
        loc->file.ptr = CAL_ADDR(s), loc->file.len = (uint64_t)(q - s);
        loc->line = num[0], loc->column = num[1];
        return 1;
    }
    return 0;
}

/* Reports `err` (an exception value) through panic_utf8; logs the whole stack first. */
__attribute__((noreturn)) void cal_panic_value(JSContext *ctx, JSValueConst err, const char *msg,
                                               size_t msg_len, int skip) {
    CalLocation loc = {{CAL_ADDR("<js>"), 4}, 0, 0};
    JSValue stack = JS_IsObject(err) ? JS_GetPropertyStr(ctx, err, "stack") : JS_UNDEFINED;
    const char *st = JS_IsString(stack) ? JS_ToCString(ctx, stack) : NULL;
    if (st) {
        cal_log(st, strlen(st));
        cal_stack_location(st, skip, &loc);
    }
    CalBuffer m = {CAL_ADDR(msg), msg_len};
    env_panic_utf8(CAL_ADDR(&m), CAL_ADDR(&loc));
}

static __attribute__((noreturn)) void cal_fail(JSContext *ctx, const char *stage) {
    JSValue exc = JS_GetException(ctx);
    size_t len = 0;
    const char *msg = JS_ToCStringLen(ctx, &len, exc);
    if (!msg) {
        msg = stage, len = strlen(stage);
    }
    cal_panic_value(ctx, exc, msg, len, 0);
}

static JSValue cal_no_host_at_snapshot(JSContext *ctx, const char *what) {
    return JS_ThrowTypeError(ctx, "%s is not available while the module's top level runs at build "
                                  "time (VM snapshot): call it inside a method", what);
}

static JSValue js_date_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    if (g_snapshotting) return cal_no_host_at_snapshot(ctx, "Date.now()");
    return JS_NewInt64(ctx, (int64_t)(cal_time_now_ns() / 1000000u));
}

static JSValue js_math_random(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    if (g_snapshotting) return cal_no_host_at_snapshot(ctx, "Math.random()");
    if (g_rand_left < 8) {
        CalBuffer b = {CAL_ADDR(g_rand_pool), sizeof g_rand_pool};
        env_random_bytes(CAL_ADDR(&b));
        g_rand_left = sizeof g_rand_pool;
    }
    uint64_t v;
    memcpy(&v, g_rand_pool + sizeof g_rand_pool - g_rand_left, 8);
    g_rand_left -= 8;
    return JS_NewFloat64(ctx, (double)(v >> 11) * 0x1.0p-53);
}

static void cal_override(JSContext *ctx, JSValueConst global, const char *obj, const char *name,
                         JSCFunction *fn) {
    JSValue o = JS_GetPropertyStr(ctx, global, obj);
    JS_SetPropertyStr(ctx, o, name, JS_NewCFunction(ctx, fn, name, 0));
    JS_FreeValue(ctx, o);
}

static void cal_settle(JSContext *ctx, JSValue result) {
    JSContext *job_ctx;
    int r;
    while ((r = JS_ExecutePendingJob(JS_GetRuntime(ctx), &job_ctx)) > 0) {
    }
    if (r < 0) cal_fail(ctx, "a promise job threw");
    if (JS_IsPromise(result) && JS_PromiseState(ctx, result) == JS_PROMISE_REJECTED) {
        JS_Throw(ctx, JS_PromiseResult(ctx, result));
        cal_fail(ctx, "the method's promise was rejected");
    }
    JS_FreeValue(ctx, result);
}

/* JS_NewContext without the web APIs (atob/btoa with DOMException, `performance`),
 * WeakRef/FinalizationRegistry, and RegExp unless the app uses it: a VM lives for one call,
 * so nothing is ever collected behind the app's back, and every intrinsic costs fuel at each
 * call's start (~0.15 M of these) and bytes in the module. */
static JSContext *cal_new_context(JSRuntime *rt) {
    JSContext *ctx = JS_NewContextRaw(rt);
    if (!ctx) return NULL;
    if (JS_AddIntrinsicBaseObjects(ctx) || JS_AddIntrinsicDate(ctx) || JS_AddIntrinsicEval(ctx) ||
        calimero_add_app_intrinsics(ctx) || JS_AddIntrinsicJSON(ctx) || JS_AddIntrinsicProxy(ctx) ||
        JS_AddIntrinsicMapSet(ctx) || JS_AddIntrinsicTypedArrays(ctx) || JS_AddIntrinsicPromise(ctx))
        return NULL;
    return ctx;
}

static JSContext *cal_new_vm(JSValue *global) {
    if (g_snap_ctx) { /* the build-time snapshot: already booted, bytecode already run */
        JS_UpdateStackTop(JS_GetRuntime(g_snap_ctx));
        *global = JS_GetGlobalObject(g_snap_ctx);
        return g_snap_ctx;
    }
    if (!g_ctors_done) {
        __wasm_call_ctors();
        g_ctors_done = 1;
    }
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = rt ? cal_new_context(rt) : NULL;
    if (!ctx) cal_panic_str("out of memory while creating the JavaScript VM");
    JS_SetMaxStackSize(rt, CAL_JS_STACK);
    g_clock_ready = !g_snapshotting;
    *global = JS_GetGlobalObject(ctx);
    cal_override(ctx, *global, "Date", "now", js_date_now);
    cal_override(ctx, *global, "Math", "random", js_math_random);
    cal_install_host(ctx);
    JS_SetPropertyStr(ctx, *global, "__calimero_abi_json",
                      JS_NewStringLen(ctx, calimero_abi_json, calimero_abi_json_len));
    /* The SDK does at build time what it can when the top level runs for a snapshot. */
    if (g_snapshotting) JS_SetPropertyStr(ctx, *global, "__calimero_snapshot", JS_TRUE);
    JSValue fn = JS_ReadObject(ctx, calimero_bytecode, calimero_bytecode_len, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(fn)) cal_fail(ctx, "the app's bytecode does not load");
    JSValue r = JS_EvalFunction(ctx, fn);
    if (JS_IsException(r)) cal_fail(ctx, "the module's top level threw");
    cal_settle(ctx, r);
    return ctx;
}

/* The build's VM snapshot (wizer's init function, removed from the output module): boot the
 * VM and run the module's top level, with no host call, then keep the context in memory.
 * Every call of an instance of the snapshotted module starts from this state; the node makes
 * a fresh instance per call, so nothing a call does reaches the next one. A failure traps
 * (the build reports it): the env imports are wizer's trapping stubs at this point. */
extern char __stack_low[]; /* wasm-ld: the bottom of the shadow stack */

/* Zeroes the shadow stack below the caller's frame: what the boot left there is garbage, and
 * wizer stores every non-zero byte of memory in the module. */
static __attribute__((noinline)) void cal_clear_stack(void) {
    char *sp = __builtin_frame_address(0);
    if (sp - 256 > __stack_low) memset(__stack_low, 0, (size_t)(sp - 256 - __stack_low));
}

void calimero_snapshot_init(void) {
    JSValue global;
    g_snapshotting = 1;
    JSContext *ctx = cal_new_vm(&global);
    JSAtom flag = JS_NewAtom(ctx, "__calimero_snapshot");
    JS_DeleteProperty(ctx, global, flag, 0);
    JS_FreeAtom(ctx, flag);
    JS_FreeValue(ctx, global);
    JS_RunGC(JS_GetRuntime(ctx)); /* a smaller heap to snapshot */
    g_snapshotting = 0;
    g_clock_ready = 1;
    g_snap_ctx = ctx;
    /* Loaded: the bytecode and the manifest are copies in the heap now. */
    memset(calimero_bytecode, 0, calimero_bytecode_len);
    memset(calimero_abi_json, 0, calimero_abi_json_len);
    cal_clear_stack();
}

void calimero_run(const char *method) {
    JSValue global;
    JSContext *ctx = cal_new_vm(&global);
    JSValue dispatch = JS_GetPropertyStr(ctx, global, "__calimero_dispatch");
    if (!JS_IsFunction(ctx, dispatch))
        cal_panic_str("globalThis.__calimero_dispatch is not a function: the app must import the SDK");
    JSValue arg = JS_NewString(ctx, method);
    JSValue r = JS_Call(ctx, dispatch, global, 1, &arg);
    if (JS_IsException(r)) cal_fail(ctx, "the method threw");
    cal_settle(ctx, r);
}

/* Applies a peer's delta: the SDK's hook gets the input bytes, else the host merges them. */
__attribute__((export_name("__calimero_sync_next"))) void calimero_sync_next(void) {
    JSValue global;
    JSContext *ctx = cal_new_vm(&global);
    env_input(CAL_REG_DATA);
    int64_t n = env_register_len(CAL_REG_DATA);
    size_t len = n > 0 ? (size_t)n : 0;
    JSValue arr = JS_NewUint8ArrayCopy(ctx, (const uint8_t *)"", 0);
    if (len) {
        uint8_t *buf = js_malloc(ctx, len);
        if (!buf) cal_panic_str("out of memory reading the delta");
        CalBuffer b = {CAL_ADDR(buf), len};
        env_read_register(CAL_REG_DATA, CAL_ADDR(&b));
        JS_FreeValue(ctx, arr);
        arr = JS_NewUint8ArrayCopy(ctx, buf, len);
        js_free(ctx, buf);
    }
    JSValue hook = JS_GetPropertyStr(ctx, global, "__calimero_sync_next");
    if (JS_IsFunction(ctx, hook)) {
        JSValue r = JS_Call(ctx, hook, global, 1, &arr);
        if (JS_IsException(r)) cal_fail(ctx, "__calimero_sync_next threw");
        cal_settle(ctx, r);
    } else if (len) {
        size_t sz;
        uint8_t *p = JS_GetUint8Array(ctx, &sz, arr);
        CalBuffer b = {CAL_ADDR(p), sz};
        env_apply_storage_delta(CAL_ADDR(&b));
    }
}
