/* Allocation through the caller's allocator, and the thread-local error
 * detail message. */
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *ctx, size_t size) {
    (void)ctx;
    return malloc(size);
}
static void *libc_realloc(void *ctx, void *p, size_t size) {
    (void)ctx;
    return realloc(p, size);
}
static void libc_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

const nlp_allocator_t nlp__default_allocator = {libc_malloc, libc_realloc,
                                                libc_free, NULL};

const nlp_allocator_t *nlp__allocator_or_default(const nlp_allocator_t *a) {
    return a ? a : &nlp__default_allocator;
}

void *nlp__malloc(const nlp_allocator_t *a, size_t size) {
    return a->malloc_fn(a->ctx, size ? size : 1);
}

void *nlp__calloc(const nlp_allocator_t *a, size_t count, size_t size) {
    if (nlp__mul_overflows(count, size)) return NULL;
    void *p = nlp__malloc(a, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *nlp__realloc_array(const nlp_allocator_t *a, void *p, size_t count,
                         size_t size) {
    if (nlp__mul_overflows(count, size)) return NULL;
    size_t bytes = count * size;
    return a->realloc_fn(a->ctx, p, bytes ? bytes : 1);
}

int nlp__grow_array(const nlp_allocator_t *a, void **array, size_t *cap,
                    size_t need, size_t size) {
    if (need <= *cap) return 1;
    size_t want = *cap ? *cap : 64;
    while (want < need) {
        if (nlp__mul_overflows(want, 2)) return 0;
        want *= 2;
    }
    void *bigger = nlp__realloc_array(a, *array, want, size);
    if (!bigger) return 0;
    *array = bigger;
    *cap = want;
    return 1;
}

void nlp__free(const nlp_allocator_t *a, void *p) {
    if (p) a->free_fn(a->ctx, p);
}

char *nlp__strndup(const nlp_allocator_t *a, const char *s, size_t len) {
    char *copy = nlp__malloc(a, len + 1);
    if (!copy) return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static _Thread_local char error_detail[512];
static _Thread_local uint64_t n_failures;

nlp_status_t nlp__fail(nlp_status_t status, const char *fmt, ...) {
    n_failures++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_detail, sizeof error_detail, fmt, ap);
    va_end(ap);
    return status;
}

void nlp__clear_error(void) { error_detail[0] = '\0'; }

uint64_t nlp__failures(void) { return n_failures; }

nlp_status_t nlp__name_failure(nlp_status_t status, uint64_t mark, const char *who) {
    if (status != NLP_OK && n_failures == mark)
        nlp__fail(status, "%s: %s", who, nlp_strerror(status));
    return status;
}

const char *nlp_error_detail(void) { return error_detail; }
