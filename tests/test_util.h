/* Shared test helpers: a counting allocator that catches leaks and can fail
 * the Nth allocation, and small file helpers. Include after cmocka.h. */
#ifndef NLP_TEST_UTIL_H
#define NLP_TEST_UTIL_H

#include <stddef.h>

#include "io/corpus.h"
#include "io/model_file.h"
#include "pipeline/component.h"
#include "spacyc.h"

typedef struct test_alloc {
    nlp_allocator_t iface;
    long live;        /* allocations not yet freed */
    long total;       /* allocations made */
    long fail_at;     /* fail allocation number fail_at (1-based); 0: never */
} test_alloc_t;

/* A fresh counting allocator (no failures). */
void test_alloc_init(test_alloc_t *a);
/* One attempt of an out-of-memory sweep: does the work with `alloc`, checks
 * what a success produced (and that a failure produced nothing) and frees
 * it all; returns the work's status. */
typedef nlp_status_t (*test_oom_attempt_fn)(void *ctx, const nlp_allocator_t *alloc);
/* Fails allocation 1, 2, ... of `attempt` in turn until it succeeds: every
 * failure must be NLP_NOMEM and every attempt must give back all it
 * allocated; needing more than `limit` attempts fails the test. Returns
 * the number of allocation failures before the success. */
long test_oom_sweep(test_oom_attempt_fn attempt, void *ctx, long limit);
/* A cmocka fixture: a blank English pipeline on a counting allocator; the
 * teardown fails the test when anything was not given back. */
typedef struct test_blank_nlp {
    test_alloc_t alloc;
    nlp_t *nlp;
} test_blank_nlp_t;
int test_blank_nlp_setup(void **state);
int test_blank_nlp_teardown(void **state);
#define TEST_WITH_BLANK_NLP(f) \
    cmocka_unit_test_setup_teardown(f, test_blank_nlp_setup, test_blank_nlp_teardown)
/* The EWT file `name` (e.g. "dev.conllu") under $EWT_DIR, or NULL when the
 * data is absent (the caller then skips). Static storage. */
const char *test_ewt_path(const char *name);
/* Reads EWT train.conllu and dev.conllu, failing the calling test on a
 * reader error and skipping it when the data is absent. */
void test_read_ewt_or_skip(nlp__corpus_t **train, nlp__corpus_t **dev);
/* Writes `text` to a new temporary file and returns its path (static
 * storage, overwritten by the next call). */
const char *test_write_temp(const char *text, size_t len);
/* Reads `text` (len bytes) as an IOB2 file, failing the calling test on
 * an error; `alloc` may be NULL. */
nlp__corpus_t *test_read_iob2(const char *text, size_t len, const nlp_allocator_t *alloc);
/* Saves component c with its sections prefixed `prefix` to a model file at
 * path and opens it (close with nlp__model_reader_close). */
nlp__model_reader_t *test_save_component(const nlp__component_t *c, const char *prefix,
                                         const char *path);
/* Writes a copy of r's model to "<path>.rewritten" (its name goes to buf)
 * without section `drop`, then adds `drop` with `extra` unless extra is
 * NULL: a damaged or older model for load tests. */
void test_rewrite_model(const nlp__model_reader_t *r, const char *drop, const void *extra,
                        size_t extra_len, char *buf, size_t cap, const char *path);
/* Parses `text` with `nlp` into a heap Doc (free with nlp_doc_free) and
 * hands out its tokens, failing the calling test on an error. */
nlp_doc_t *test_parse(nlp_t *nlp, const char *text, const nlp_token_t **tokens, size_t *n);
/* Makes a failure (a refused argument) whose detail a later failure must
 * not leave standing in nlp_error_detail(). */
void test_set_stale_detail(void);
/* Whether the calling thread's detail is set and is no longer the one
 * test_set_stale_detail() left. */
int test_detail_is_fresh(void);
/* An nlp_write_fn that appends to a growing NUL-terminated string. */
typedef struct test_buf {
    char *data;
    size_t len, cap;
} test_buf_t;
int test_buf_write(void *ctx, const char *data, size_t len);
void test_buf_free(test_buf_t *b);

#endif
