/* Provides calimero-qjsc: bundle.js -> QuickJS bytecode, plus a JSON description of the
 * app's methods, read by running the bundle once at build time.
 *
 *   calimero-qjsc [--name FILE] [--describe OUT.json] INPUT.js OUTPUT.qbc
 *
 * Built natively from the same QuickJS tree as the wasm libquickjs.a: bytecode is tied to
 * the exact engine version. Exit status: 1 usage/IO, 2 compile error, 3 the bundle threw.
 * The description lists the keys of `globalThis.__calimero_methods` (the SDK's registry)
 * with each value's source head (so the driver can read parameter names) and the same for
 * `globalThis.__calimero_events`, and whether the bundle has regular expression literals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

/* During the build-time run every host function throws: the top level must not need one. */
static const char STUB_HOST[] =
    "globalThis.__host = new Proxy({}, { get(_, k) { return function () {"
    " throw new Error('__host.' + String(k) + ' was called while the module loaded at build"
    " time; host functions are only available inside a method call'); }; } });";

static const char DESCRIBE[] =
    "(() => {\n"
    "  const head = (f) => { try { return Function.prototype.toString.call(f).slice(0, 4096); }"
    " catch (e) { return null; } };\n"
    "  const describe = (key, v, field) => {\n"
    "    const d = { name: key };\n"
    "    if (typeof v === 'function') d.source = head(v);\n"
    "    else if (v && typeof v === 'object') {\n"
    "      if (Array.isArray(v[field])) d[field] = v[field].map(String);\n"
    "      if (typeof v.kind === 'string') d.kind = v.kind;\n"
    "      if (typeof v.fn === 'function' && !d[field]) d.source = head(v.fn);\n"
    "    }\n"
    "    return d;\n"
    "  };\n"
    "  const list = (reg, field) => reg && typeof reg === 'object'\n"
    "    ? Object.keys(reg).map((k) => describe(k, reg[k], field)) : null;\n"
    "  return JSON.stringify({\n"
    "    methods: list(globalThis.__calimero_methods, 'params'),\n"
    "    events: list(globalThis.__calimero_events, 'fields') || [],\n"
    "    dispatch: typeof globalThis.__calimero_dispatch === 'function',\n"
    "    regexpLiterals: globalThis.__calimero_regexp_literals === true,\n"
    "  });\n"
    "})()";

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0, *len = (size_t)n;
    return buf;
}

static int write_file(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Prints "<what>: <exception>" and the JS stack to stderr. */
static void report(JSContext *ctx, const char *what) {
    JSValue exc = JS_GetException(ctx);
    const char *msg = JS_ToCString(ctx, exc);
    fprintf(stderr, "%s: %s\n", what, msg ? msg : "(unprintable exception)");
    JS_FreeCString(ctx, msg);
    if (JS_IsObject(exc)) {
        JSValue stack = JS_GetPropertyStr(ctx, exc, "stack");
        const char *st = JS_IsString(stack) ? JS_ToCString(ctx, stack) : NULL;
        if (st) fprintf(stderr, "%s", st);
        JS_FreeCString(ctx, st);
        JS_FreeValue(ctx, stack);
    }
    JS_FreeValue(ctx, exc);
}

/* True if the bundle may hold a regular expression literal: it does not compile in a context
 * without the RegExp compiler ("RegExp are not supported"; any other failure there keeps
 * RegExp too). Without one (and no other use of RegExp), the build links the module without
 * QuickJS's RegExp engine. */
static int has_regexp_literal(JSRuntime *rt, const char *src, size_t len, const char *name) {
    JSContext *bare = JS_NewContextRaw(rt);
    if (!bare || JS_AddIntrinsicBaseObjects(bare)) return 1;
    JS_AddIntrinsicEval(bare);
    JSValue fn = JS_Eval(bare, src, len, name, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    int found = JS_IsException(fn);
    if (found) JS_FreeValue(bare, JS_GetException(bare));
    JS_FreeValue(bare, fn);
    JS_FreeContext(bare);
    return found;
}

static int describe(JSContext *ctx, JSValue fn, const char *out, int regexp_literals) {
    JSValue global = JS_GetGlobalObject(ctx);
    JS_SetPropertyStr(ctx, global, "__calimero_regexp_literals", JS_NewBool(ctx, regexp_literals));
    JS_FreeValue(ctx, global);
    JSValue r = JS_Eval(ctx, STUB_HOST, sizeof STUB_HOST - 1, "<calimero-qjsc>", JS_EVAL_TYPE_GLOBAL);
    JS_FreeValue(ctx, r);
    r = JS_EvalFunction(ctx, fn);
    if (JS_IsException(r)) {
        report(ctx, "the bundle threw while it loaded");
        return 3;
    }
    JS_FreeValue(ctx, r);
    JSContext *job;
    while (JS_ExecutePendingJob(JS_GetRuntime(ctx), &job) > 0) {
    }
    r = JS_Eval(ctx, DESCRIBE, sizeof DESCRIBE - 1, "<calimero-qjsc>", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(r)) {
        report(ctx, "describing the methods failed");
        return 3;
    }
    size_t len;
    const char *json = JS_ToCStringLen(ctx, &len, r);
    int rc = json && write_file(out, json, len) == 0 ? 0 : 1;
    if (rc) fprintf(stderr, "cannot write %s\n", out);
    JS_FreeCString(ctx, json);
    JS_FreeValue(ctx, r);
    return rc;
}

int main(int argc, char **argv) {
    const char *name = NULL, *desc = NULL, *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(argv[i], "--describe") && i + 1 < argc) desc = argv[++i];
        else if (!in) in = argv[i];
        else if (!out) out = argv[i];
    }
    if (!in || !out) {
        fprintf(stderr, "usage: calimero-qjsc [--name FILE] [--describe OUT.json] INPUT.js OUTPUT.qbc\n");
        return 1;
    }
    size_t len;
    char *src = read_file(in, &len);
    if (!src) {
        fprintf(stderr, "cannot read %s\n", in);
        return 1;
    }
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = JS_NewContext(rt);
    JSValue fn = JS_Eval(ctx, src, len, name ? name : in, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(fn)) {
        report(ctx, "QuickJS cannot compile the bundle");
        return 2;
    }
    size_t bc_len;
    uint8_t *bc = JS_WriteObject(ctx, &bc_len, fn, JS_WRITE_OBJ_BYTECODE | JS_WRITE_OBJ_STRIP_SOURCE);
    /* Bytes 1-4 are a checksum the reader verifies on every load (~2.5 % of a call's fuel);
     * the bytecode sits inside the module, whose hash is the app id: QuickJS skips the check
     * for UINT32_MAX. */
    if (bc && bc_len > 5) memset(bc + 1, 0xff, 4);
    if (!bc || write_file(out, bc, bc_len)) {
        fprintf(stderr, "cannot write %s\n", out);
        return 1;
    }
    if (!desc) return 0;
    return describe(ctx, fn, desc, has_regexp_literal(rt, src, len, name ? name : in));
}
