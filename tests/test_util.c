#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *counting_malloc(void *ctx, size_t size) {
    test_alloc_t *a = ctx;
    long n = __atomic_add_fetch(&a->total, 1, __ATOMIC_RELAXED);
    if (a->fail_at && n == a->fail_at) return NULL;
    void *p = malloc(size);
    if (p) __atomic_add_fetch(&a->live, 1, __ATOMIC_RELAXED);
    return p;
}

static void *counting_realloc(void *ctx, void *ptr, size_t size) {
    test_alloc_t *a = ctx;
    long n = __atomic_add_fetch(&a->total, 1, __ATOMIC_RELAXED);
    if (a->fail_at && n == a->fail_at) return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr) __atomic_add_fetch(&a->live, 1, __ATOMIC_RELAXED);
    return p;
}

static void counting_free(void *ctx, void *ptr) {
    test_alloc_t *a = ctx;
    if (ptr) __atomic_sub_fetch(&a->live, 1, __ATOMIC_RELAXED);
    free(ptr);
}

void test_alloc_init(test_alloc_t *a) {
    memset(a, 0, sizeof *a);
    a->iface.malloc_fn = counting_malloc;
    a->iface.realloc_fn = counting_realloc;
    a->iface.free_fn = counting_free;
    a->iface.ctx = a;
}

long test_oom_sweep(test_oom_attempt_fn attempt, void *ctx, long limit) {
    for (long fail_at = 1;; fail_at++) {
        assert_true(fail_at <= limit);
        test_alloc_t a;
        test_alloc_init(&a);
        a.fail_at = fail_at;
        nlp_status_t st = attempt(ctx, &a.iface);
        assert_int_equal(a.live, 0);
        if (st == NLP_OK) return fail_at - 1;
        assert_int_equal(st, NLP_NOMEM);
    }
}

int test_blank_nlp_setup(void **state) {
    static test_blank_nlp_t f;
    test_alloc_init(&f.alloc);
    if (nlp_create_blank("en", &f.alloc.iface, &f.nlp)) return -1;
    *state = &f;
    return 0;
}

int test_blank_nlp_teardown(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_free(f->nlp);
    return f->alloc.live == 0 ? 0 : -1;
}

const char *test_ewt_path(const char *name) {
    static char path[4096];
    const char *dir = getenv("EWT_DIR");
    if (!dir) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0 ? path : NULL;
}

void test_read_ewt_or_skip(nlp__corpus_t **train, nlp__corpus_t **dev) {
    *train = *dev = NULL;
    if (!test_ewt_path("train.conllu") || !test_ewt_path("dev.conllu"))
        skip();
    assert_int_equal(nlp__conllu_read(test_ewt_path("train.conllu"), NULL, train),
                     NLP_OK);
    assert_int_equal(nlp__conllu_read(test_ewt_path("dev.conllu"), NULL, dev), NLP_OK);
}

const char *test_write_temp(const char *text, size_t len) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/spacyc-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, text + done, len - done);
        if (k <= 0) break;
        done += (size_t)k;
    }
    close(fd);
    return path;
}

nlp__corpus_t *test_read_iob2(const char *text, size_t len, const nlp_allocator_t *alloc) {
    const char *path = test_write_temp(text, len);
    nlp__corpus_t *c = NULL;
    assert_int_equal(nlp__iob2_read(path, alloc, &c), NLP_OK);
    remove(path);
    return c;
}

nlp__model_reader_t *test_save_component(const nlp__component_t *c, const char *prefix,
                                         const char *path) {
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(c->ops->save(c, w, prefix), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    return r;
}

void test_rewrite_model(const nlp__model_reader_t *r, const char *drop, const void *extra,
                        size_t extra_len, char *buf, size_t cap, const char *path) {
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    for (size_t i = 0; i < nlp__model_reader_n_sections(r); i++) {
        const char *name = nlp__model_reader_section_name(r, i);
        if (strcmp(name, drop) == 0) continue;
        const void *d;
        size_t len;
        assert_int_equal(nlp__model_reader_section(r, name, &d, &len), NLP_OK);
        assert_int_equal(nlp__model_writer_add(w, name, d, len), NLP_OK);
    }
    if (extra) assert_int_equal(nlp__model_writer_add(w, drop, extra, extra_len), NLP_OK);
    snprintf(buf, cap, "%s.rewritten", path);
    assert_int_equal(nlp__model_writer_save(w, buf), NLP_OK);
    nlp__model_writer_free(w);
}

int test_buf_write(void *ctx, const char *data, size_t len) {
    test_buf_t *b = ctx;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

void test_buf_free(test_buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

nlp_doc_t *test_parse(nlp_t *nlp, const char *text, const nlp_token_t **tokens, size_t *n) {
    nlp_doc_t *doc;
    assert_int_equal(nlp_parse(nlp, NULL, text, strlen(text), &doc), NLP_OK);
    assert_int_equal(nlp_doc_tokens(doc, tokens, n), NLP_OK);
    return doc;
}

void test_set_stale_detail(void) {
    assert_int_equal(nlp_vocab_string(NULL, NULL, 0, NULL, NULL), NLP_INVALID_ARG);
}

int test_detail_is_fresh(void) {
    return nlp_error_detail()[0] != '\0' && !strstr(nlp_error_detail(), "nlp_vocab_string");
}
