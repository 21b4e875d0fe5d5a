/* Internal allocation helpers and error reporting. */
#ifndef NLP_CORE_ALLOC_H
#define NLP_CORE_ALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

/* The allocator used when the caller passes none (the C library's). */
extern const nlp_allocator_t nlp__default_allocator;

/* Returns `a` or the default allocator when `a` is NULL. */
const nlp_allocator_t *nlp__allocator_or_default(const nlp_allocator_t *a);

void *nlp__malloc(const nlp_allocator_t *a, size_t size);
/* calloc with an overflow check on count * size. */
void *nlp__calloc(const nlp_allocator_t *a, size_t count, size_t size);
/* realloc of an array with an overflow check on count * size. */
void *nlp__realloc_array(const nlp_allocator_t *a, void *p, size_t count,
                         size_t size);
void nlp__free(const nlp_allocator_t *a, void *p);
/* Makes *array (of `size`-byte elements, *cap of them) hold at least
 * `need`, doubling from 64; returns 0 (leaving it as it was) when out of
 * memory. */
int nlp__grow_array(const nlp_allocator_t *a, void **array, size_t *cap,
                    size_t need, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *nlp__strndup(const nlp_allocator_t *a, const char *s, size_t len);

/* Records a printf-style detail message for the calling thread and returns
 * `status`, so error paths read `return nlp__fail(NLP_FORMAT, "line %d", n);`. */
nlp_status_t nlp__fail(nlp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The failure of a public call given a NULL or out-of-range argument, with a
 * detail naming the call (so no earlier failure's detail is left behind). */
#define NLP__FAIL_ARGUMENTS()                                                  \
    nlp__fail(NLP_INVALID_ARG, "%s: an argument is missing or out of range",  \
              __func__)
/* Clears the calling thread's detail message. */
void nlp__clear_error(void);
/* How many failures nlp__fail has recorded on the calling thread. */
uint64_t nlp__failures(void);
/* Returns `status`. A failure that recorded no detail since `mark` (an
 * earlier nlp__failures()) gets one, "WHO: <nlp_strerror text>", so the
 * detail a caller reads never describes an older failure. */
nlp_status_t nlp__name_failure(nlp_status_t status, uint64_t mark, const char *who);

/* True when a * b overflows size_t. */
static inline int nlp__mul_overflows(size_t a, size_t b) {
    return b != 0 && a > SIZE_MAX / b;
}

#endif
