/* Provides the helpers shared by glue.c, host.c and host_special.c (JS values <-> bytes). */
#ifndef CAL_JS_H
#define CAL_JS_H

#include "calimero_host.h"
#include "quickjs.h"

/* Borrowed bytes of a JS argument; `cstr` is set (and must be freed) for strings. */
typedef struct { const uint8_t *ptr; size_t len; const char *cstr; } Bytes;

int cal_get_bytes(JSContext *ctx, JSValueConst v, Bytes *out, const char *fn, int i);
void cal_free_bytes(JSContext *ctx, Bytes *b, int n);
JSValue cal_reg_bytes(JSContext *ctx, uint64_t reg);
int cal_stack_location(const char *stack, int skip, CalLocation *loc);
__attribute__((noreturn)) void cal_panic_value(JSContext *ctx, JSValueConst err, const char *msg,
                                               size_t msg_len, int skip);

#endif
