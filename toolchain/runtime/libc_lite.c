/* Provides small stand-ins for the libc functions QuickJS calls that would otherwise link
 * musl's printf core and strtod (~35 KB of code with their long double helpers):
 *
 * - `vsnprintf`/`snprintf`: what the engine formats at run time (error messages, Date
 *   strings): `%d %i %u %x %X %o %c %s %p %%` with flags `-+ 0#`, width, precision (`*`
 *   too) and the `hh h l ll z j t` sizes. QuickJS formats numbers itself; only its debug
 *   dumps use `%f`/`%g`, which print `?` here.
 * - `printf`/`fprintf`/`vfprintf`/`putchar`: the engine's debug output; a module has no
 *   console (HOST-ABI §1), so they write nothing.
 * - `strtod` (JSON.parse): QuickJS's own correctly rounded `js_atod`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dtoa.h"

typedef struct {
    char *buf;
    size_t cap, len; /* len counts every byte, also those past cap */
} Out;

static void put(Out *o, char c) {
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void put_n(Out *o, char c, int n) {
    while (n-- > 0) put(o, c);
}

typedef struct {
    int left, plus, space, zero, alt, width, prec;
} Spec;

/* Writes `body` (len bytes) with its sign/prefix, zero padding to `zeros` digits, and the
 * field width. */
static void put_field(Out *o, const Spec *s, const char *prefix, const char *body, int len,
                      int zeros) {
    int plen = (int)strlen(prefix);
    int digits = len > zeros ? len : zeros;
    int pad = s->width - plen - digits;
    if (!s->left && !(s->zero && s->prec < 0)) put_n(o, ' ', pad);
    for (const char *p = prefix; *p; p++) put(o, *p);
    if (!s->left && s->zero && s->prec < 0) put_n(o, '0', pad);
    put_n(o, '0', digits - len);
    for (int i = 0; i < len; i++) put(o, body[i]);
    if (s->left) put_n(o, ' ', pad);
}

static void put_int(Out *o, const Spec *s, uintmax_t v, int negative, int base, int upper,
                    const char *alt_prefix) {
    char digits[24];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (v) digits[sizeof digits - 1 - n++] = set[v % (unsigned)base], v /= (unsigned)base;
    if (n == 0 && s->prec != 0) digits[sizeof digits - 1 - n++] = '0';
    const char *prefix = negative ? "-" : s->plus ? "+" : s->space ? " " : "";
    if (s->alt && alt_prefix && n && digits[sizeof digits - n] != '0') prefix = alt_prefix;
    put_field(o, s, prefix, digits + sizeof digits - n, n, s->prec < 0 ? 0 : s->prec);
}

/* Reads the integer argument of the given size (`l` count, or 'h'/'H'/'z'/'j'/'t'). */
static intmax_t arg_signed(va_list *ap, char size) {
    switch (size) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'q': return va_arg(*ap, long long);
    case 'z': case 't': return va_arg(*ap, ptrdiff_t);
    case 'j': return va_arg(*ap, intmax_t);
    default: return va_arg(*ap, int);
    }
}

static uintmax_t arg_unsigned(va_list *ap, char size) {
    switch (size) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned);
    case 'h': return (unsigned short)va_arg(*ap, unsigned);
    case 'l': return va_arg(*ap, unsigned long);
    case 'q': return va_arg(*ap, unsigned long long);
    case 'z': case 't': return va_arg(*ap, size_t);
    case 'j': return va_arg(*ap, uintmax_t);
    default: return va_arg(*ap, unsigned);
    }
}

static const char *parse_spec(const char *f, Spec *s, va_list *ap) {
    memset(s, 0, sizeof *s);
    s->prec = -1;
    for (;; f++) {
        if (*f == '-') s->left = 1;
        else if (*f == '+') s->plus = 1;
        else if (*f == ' ') s->space = 1;
        else if (*f == '0') s->zero = 1;
        else if (*f == '#') s->alt = 1;
        else break;
    }
    if (*f == '*') {
        s->width = va_arg(*ap, int), f++;
        if (s->width < 0) s->left = 1, s->width = -s->width;
    }
    while (*f >= '0' && *f <= '9') s->width = s->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++, s->prec = 0;
        if (*f == '*') s->prec = va_arg(*ap, int), f++;
        while (*f >= '0' && *f <= '9') s->prec = s->prec * 10 + (*f++ - '0');
    }
    return f;
}

static const char *parse_size(const char *f, char *size) {
    *size = 0;
    if (f[0] == 'h') *size = f[1] == 'h' ? (f++, 'H') : 'h', f++;
    else if (f[0] == 'l') *size = f[1] == 'l' ? (f++, 'q') : 'l', f++;
    else if (f[0] == 'z' || f[0] == 'j' || f[0] == 't') *size = *f++;
    else if (f[0] == 'L') f++;
    return f;
}

static void convert(Out *o, char conv, const Spec *s, char size, va_list *ap) {
    switch (conv) {
    case 'd': case 'i': {
        intmax_t v = arg_signed(ap, size);
        put_int(o, s, v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v, v < 0, 10, 0, NULL);
        break;
    }
    case 'u': put_int(o, s, arg_unsigned(ap, size), 0, 10, 0, NULL); break;
    case 'x': put_int(o, s, arg_unsigned(ap, size), 0, 16, 0, "0x"); break;
    case 'X': put_int(o, s, arg_unsigned(ap, size), 0, 16, 1, "0X"); break;
    case 'o': put_int(o, s, arg_unsigned(ap, size), 0, 8, 0, "0"); break;
    case 'p': {
        Spec hex = *s;
        hex.alt = 1;
        put_int(o, &hex, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x");
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_field(o, s, "", &c, 1, 0);
        break;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        if (!str) str = "(null)";
        size_t n = s->prec >= 0 ? strnlen(str, (size_t)s->prec) : strlen(str);
        Spec text = *s;
        text.zero = 0;
        put_field(o, &text, "", str, (int)n, 0);
        break;
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
        (void)va_arg(*ap, double);
        put(o, '?');
        break;
    default: put(o, conv); break; /* "%%" and anything unknown print as themselves */
    }
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap) {
    Out o = {buf, cap, 0};
    va_list args;
    va_copy(args, ap);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        Spec spec;
        char size;
        f = parse_size(parse_spec(f + 1, &spec, &args), &size);
        if (!*f) break;
        convert(&o, *f, &spec, size, &args);
    }
    va_end(args);
    if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
    return (int)o.len;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *restrict stream, const char *restrict fmt, va_list ap) { return 0; }

int fprintf(FILE *restrict stream, const char *restrict fmt, ...) { return 0; }

int printf(const char *restrict fmt, ...) { return 0; }

int putchar(int c) { return c; }

double strtod(const char *restrict str, char **restrict end) {
    JSATODTempMem tmp;
    const char *next;
    while (*str == ' ' || (*str >= '\t' && *str <= '\r')) str++;
    double v = js_atod(str, &next, 10, 0, &tmp);
    if (end) *end = (char *)next;
    return next == str ? 0.0 : v; /* nothing parsed */
}
