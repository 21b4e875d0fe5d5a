#include "writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "core/alloc.h"

void nlp__writer_init(nlp__writer_t *w, nlp_write_fn write, void *ctx) {
    w->write = write;
    w->ctx = ctx;
    w->stopped = 0;
    w->len = 0;
}

static void flush(nlp__writer_t *w) {
    if (w->len && !w->stopped && w->write(w->ctx, w->buf, w->len) != 0)
        w->stopped = 1;
    w->len = 0;
}

void nlp__writer_put(nlp__writer_t *w, const char *s, size_t len) {
    if (w->stopped) return;
    if (len > sizeof w->buf - w->len) {
        flush(w);
        if (len > sizeof w->buf) {
            if (w->write(w->ctx, s, len) != 0) w->stopped = 1;
            return;
        }
    }
    memcpy(w->buf + w->len, s, len);
    w->len += len;
}

void nlp__writer_puts(nlp__writer_t *w, const char *s) {
    nlp__writer_put(w, s, strlen(s));
}

void nlp__writer_printf(nlp__writer_t *w, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) nlp__writer_put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void nlp__writer_uint(nlp__writer_t *w, unsigned long long v) {
    char tmp[20]; /* 2^64 - 1 has 20 digits */
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nlp__writer_put(w, tmp + n, sizeof tmp - n);
}

void nlp__writer_put_replacing(nlp__writer_t *w, const char *s, size_t len,
                               const char *bad) {
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Only control characters are ever replaced: one compare for most. */
        if (c >= 0x20 || c == 0 || !strchr(bad, c)) {
            run++;
            continue;
        }
        nlp__writer_put(w, s + i - run, run);
        nlp__writer_put(w, " ", 1);
        run = 0;
    }
    nlp__writer_put(w, s + len - run, run);
}

void nlp__writer_json_string(nlp__writer_t *w, const char *s, size_t len) {
    nlp__writer_put(w, "\"", 1);
    size_t i = 0, run = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t step = 1;
        if (c < 0x80) {
            if (c == '"') esc = "\\\"";
            else if (c == '\\') esc = "\\\\";
            else if (c == '\n') esc = "\\n";
            else if (c == '\r') esc = "\\r";
            else if (c == '\t') esc = "\\t";
            else if (c < 0x20) {
                snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
                esc = ubuf;
            }
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (k <= 0) esc = "\\ufffd";
            else step = (size_t)k;
        }
        if (esc) {
            nlp__writer_put(w, s + i - run, run);
            run = 0;
            nlp__writer_puts(w, esc);
        } else {
            run += step;
        }
        i += step;
    }
    nlp__writer_put(w, s + len - run, run);
    nlp__writer_put(w, "\"", 1);
}

nlp_status_t nlp__writer_finish(nlp__writer_t *w) {
    flush(w);
    return w->stopped ? nlp__fail(NLP_CANCELLED, "the write callback asked to stop")
                      : NLP_OK;
}
