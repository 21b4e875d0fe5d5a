/* A small buffered writer over an nlp_write_fn, used by the serialisers. */
#ifndef NLP_DOC_WRITER_H
#define NLP_DOC_WRITER_H

#include <stddef.h>

#include "spacyc/common.h"

typedef struct nlp__writer {
    nlp_write_fn write;
    void *ctx;
    int stopped; /* the sink asked to stop */
    size_t len;
    char buf[4096];
} nlp__writer_t;

void nlp__writer_init(nlp__writer_t *w, nlp_write_fn write, void *ctx);
void nlp__writer_put(nlp__writer_t *w, const char *s, size_t len);
void nlp__writer_puts(nlp__writer_t *w, const char *s);
void nlp__writer_printf(nlp__writer_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes v in decimal (what "%llu" gives, without printf's cost). */
void nlp__writer_uint(nlp__writer_t *w, unsigned long long v);
/* Writes s[0..len) with each byte of `bad` (control characters only, as a
 * C string) replaced by a space. */
void nlp__writer_put_replacing(nlp__writer_t *w, const char *s, size_t len,
                               const char *bad);
/* Writes s as a JSON string literal (quotes included). Invalid UTF-8 bytes
 * become U+FFFD so the output is always valid JSON. */
void nlp__writer_json_string(nlp__writer_t *w, const char *s, size_t len);
/* Flushes; NLP_CANCELLED if the sink stopped, else NLP_OK. */
nlp_status_t nlp__writer_finish(nlp__writer_t *w);

#endif
